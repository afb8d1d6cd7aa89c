/**
 * A PAS request Bundle (`profile-pas-request-bundle`, also the inquiry Bundle): a `collection` whose first
 * entry is the Claim, followed by every resource it references, each once, under its `fullUrl` (the EHR's
 * REST URL or `urn:uuid:`). References inside resolve against the entries: by full URL, by `Type/id`, or
 * by the tail of a full URL.
 */
import type { Bundle, Claim, Identifier, Patient, QuestionnaireResponse, Reference, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../../fhir/outcome.js';

export interface PasBundle {
  bundle: Bundle;
  claim: Claim;
  claimFullUrl: string | undefined;
  entries: Array<{ fullUrl?: string; resource: Resource }>;
  resolve<T extends Resource>(ref: Reference | undefined): T | undefined;
  /** The full URL an entry was sent under (to echo it back), or `Type/id`. */
  urlOf(resource: Resource): string;
}

const MAX_ENTRIES = 500;

export function parsePasBundle(body: unknown, what = 'Claim/$submit'): PasBundle {
  const bundle = body as Bundle | undefined;
  if (bundle?.resourceType !== 'Bundle') throw badRequest(`${what} takes a Bundle (PAS request Bundle), posted as the body`);
  if (bundle.type !== 'collection') throw badRequest(`${what}: the Bundle must be of type collection`);
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw badRequest(`${what}: Bundle.entry must be a list`);
  const entries = (bundle.entry ?? []).map((e: unknown, i) => {
    const entry = e as { fullUrl?: unknown; resource?: unknown } | null;
    const resource = entry && typeof entry === 'object' ? (entry.resource as Resource | undefined) : undefined;
    if (!resource || typeof resource !== 'object' || typeof resource.resourceType !== 'string') throw badRequest(`${what}: entry ${i} has no resource`, [`Bundle.entry[${i}]`]);
    const fullUrl = typeof entry?.fullUrl === 'string' ? entry.fullUrl : undefined;
    return { ...(fullUrl ? { fullUrl } : {}), resource };
  });
  if (entries.length === 0 || entries[0].resource.resourceType !== 'Claim') throw badRequest(`${what}: the first entry must be the Claim`, ['Bundle.entry[0]']);
  if (entries.length > MAX_ENTRIES) throw badRequest(`${what}: at most ${MAX_ENTRIES} entries`);
  const byKey = new Map<string, Resource>();
  for (const e of entries) {
    if (e.fullUrl) byKey.set(e.fullUrl, e.resource);
    if (e.resource.id) byKey.set(`${e.resource.resourceType}/${e.resource.id}`, e.resource);
  }
  const urls = new Map<Resource, string>(entries.map((e) => [e.resource, e.fullUrl ?? `${e.resource.resourceType}/${e.resource.id ?? ''}`]));
  return {
    bundle,
    claim: entries[0].resource as Claim,
    claimFullUrl: entries[0].fullUrl,
    entries,
    resolve<T extends Resource>(ref: Reference | undefined): T | undefined {
      const r = ref?.reference;
      if (!r) return undefined;
      const direct = byKey.get(r);
      if (direct) return direct as T;
      const tail = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/.exec(r)?.[1];
      return tail ? (byKey.get(tail) as T | undefined) : undefined;
    },
    urlOf: (resource) => urls.get(resource) ?? `${resource.resourceType}/${resource.id ?? ''}`,
  };
}

/** Member IDs on a Patient (MB-typed identifiers or our member-ID system). */
export function patientMemberIds(p: Patient | undefined, memberIdSystem: string): string[] {
  return (p?.identifier ?? []).filter((i: Identifier) => (i.system === memberIdSystem || i.type?.coding?.some((c) => c.code === 'MB')) && typeof i.value === 'string').map((i) => i.value as string);
}

/** A QuestionnaireResponse's answers by linkId (nested items included). */
export function answersOf(qr: QuestionnaireResponse): Map<string, Array<boolean | number | string>> {
  const out = new Map<string, Array<boolean | number | string>>();
  const walk = (items: QuestionnaireResponse['item']): void => {
    for (const item of items ?? []) {
      const values: Array<boolean | number | string> = [];
      for (const a of item.answer ?? []) {
        const v = a.valueBoolean ?? a.valueDecimal ?? a.valueInteger ?? a.valueString ?? a.valueCoding?.code ?? a.valueDate ?? a.valueDateTime;
        if (v !== undefined) values.push(v);
        walk(a.item);
      }
      if (values.length > 0) out.set(item.linkId, [...(out.get(item.linkId) ?? []), ...values]);
      walk(item.item);
    }
  };
  walk(qr.item);
  return out;
}
