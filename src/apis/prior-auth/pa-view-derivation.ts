/**
 * Keeps the members' PDex Prior Authorization views (domain/prior-auth-view.ts) in step with the PAS
 * Claim and ClaimResponse they are made from: whenever a write touches a preauthorization ClaimResponse
 * or Claim, the view is recomputed and written in the same store write (fhir/rest/derived-writes.ts),
 * so a change of PA status is visible to the member at once and the view never disagrees with its
 * sources. Deleting either source deletes the view. Clients may not write a view themselves; a PA
 * record received from another payer (meta.source an http(s) URL, an id outside `pa-`) is not a view.
 */
import type { Claim, ClaimResponse } from '@medplum/fhirtypes';
import { isPriorAuthClaim, isPriorAuthResponse, PA_VIEW_ID_PREFIX, priorAuthView, priorAuthViewId } from '../../domain/prior-auth-view.js';
import type { DerivationLookup, DerivedChange, Derivation } from '../../fhir/rest/derived-writes.js';
import type { WriteOp } from '../../store/port.js';

/** ClaimResponses answering one Claim; a PA has one, an amended request a few. */
const MAX_RESPONSES_PER_CLAIM = 100;

async function viewOf(lookup: DerivationLookup, responseId: string): Promise<DerivedChange> {
  const response = (await lookup.current('ClaimResponse', responseId)) as ClaimResponse | undefined;
  const claimId = /^Claim\/([A-Za-z0-9\-.]{1,64})$/.exec(response?.request?.reference ?? '')?.[1];
  const claim = claimId ? ((await lookup.current('Claim', claimId)) as Claim | undefined) : undefined;
  if (!response || !claim || !isPriorAuthResponse(response) || !isPriorAuthClaim(claim)) {
    return { kind: 'delete', type: 'ExplanationOfBenefit', id: priorAuthViewId(responseId) };
  }
  return { kind: 'put', resource: priorAuthView(claim, response) };
}

export const priorAuthViewDerivation: Derivation = {
  refuse(op: WriteOp) {
    if (op.record.type !== 'ExplanationOfBenefit') return undefined;
    const res = op.record.res as { use?: string; meta?: { source?: string } } | undefined;
    // Another payer's PA record received through Payer-to-Payer (meta.source names their server) is
    // their record as sent, not a view of ours: it is kept, under an id that is not ours to derive.
    const received = /^https?:\/\//.test(res?.meta?.source ?? '');
    const isView = op.record.id.startsWith(PA_VIEW_ID_PREFIX) || (op.kind === 'put' && res?.use === 'preauthorization' && !received);
    return isView
      ? 'Prior-authorization ExplanationOfBenefits are views of the PAS Claim and ClaimResponse (PDex Prior Authorization) and are kept by the server; write the Claim or ClaimResponse instead. Ids starting with "pa-" are reserved for them.'
      : undefined;
  },

  async derive(ops, lookup) {
    const responses = new Set<string>();
    for (const op of ops) {
      if (op.record.type === 'ClaimResponse') responses.add(op.record.id);
      if (op.record.type === 'Claim') {
        const claim = op.record.res as Claim | undefined;
        if (op.kind === 'put' && claim && !isPriorAuthClaim(claim)) continue;
        for (const r of await lookup.find({ type: 'ClaimResponse', 'sp.request': `Claim/${op.record.id}` }, MAX_RESPONSES_PER_CLAIM)) responses.add(r.id as string);
        // A ClaimResponse written in the same request is already in `responses`; lookup.find skips pending writes.
      }
    }
    const changes: DerivedChange[] = [];
    for (const id of [...responses].sort()) changes.push(await viewOf(lookup, id));
    return changes;
  },
};
