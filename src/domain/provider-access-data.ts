/**
 * What the Provider Access API may release of an ExplanationOfBenefit. CMS-0057-F makes claims and
 * encounter data available to attributed providers "excluding provider remittances and enrollee
 * cost-sharing information" (42 CFR 422.121(a)(2); 45 CFR 156.222(a)(2) and the Medicaid/CHIP
 * parallels), and prior authorizations "excluding drugs". Neither CMS nor PDex lists FHIR elements:
 * PDex 2.2 (§pdex-289) points to the CARIN "Basis" profiles, "an exact subset of the original profile
 * ... with only the financial data element requirements removed". The rule here follows CARIN's own
 * financial/non-financial example pairs (HL7/carin-bb `input/fsh/examples/EOBProfessional1.fsh` vs
 * `EOBProfessional1-nonfinancial.fsh`, `EOBProfessional2*`, `EOBPharmacy1*`; the same pairs under
 * test/fixtures/profiles/): `total`, `payment` and every amount-type adjudication go, network/payment
 * status and denial-reason adjudications stay. See docs/research/provider-access.md §4.
 *
 * Decisions beyond the CARIN example diff:
 * - `payee` and `benefitBalance` are removed too. CARIN's `EOBProfessional2-nonfinancial` keeps
 *   `payee`, but who is paid is remittance data; benefitBalance is the member's used/remaining
 *   benefit and deductible, i.e. cost sharing.
 * - `unitPrice`, `factor` and `net` (item, detail, subDetail, addItem and its detail/subDetail) are
 *   removed. They are the provider's billed charge (net = quantity × unitPrice × factor), the same
 *   number as the `submitted` adjudication CARIN's non-financial examples drop.
 * - Adjudication `value` is removed except on unit-count categories (C4BB/PDex `allowedunits`,
 *   PDex `consumedunits`, PDex PriorAuthorizationValueCodes): units approved and used are part of
 *   the prior-authorization data CMS requires (42 CFR 431.60(b)(5)), not money.
 * - An adjudication whose category is an amount type (THO `adjudication`, C4BB `C4BBAdjudication`,
 *   PDex `PDexAdjudicationCS`, C4BB discriminator `adjudicationamounttype`, or any category this
 *   module does not know that came with an `amount`) is removed whole, reason included. PDex's own
 *   example hangs `reviewAction` on a `submitted` amount entry; that entry goes too (PDex requires
 *   `amount` on it), and so does `total`, with PDex's `priorauth-utilization` extension (R4 makes
 *   `total.amount` 1..1). The program's PA views carry both in non-amount entries, which stay.
 * - An `adjudication` array left empty is removed. The financial C4BB profiles require item amount
 *   entries (1..*); the released resource therefore claims the matching Basis profile instead (C4BB
 *   2.1.0 and later; versioned claims of earlier releases, which have no Basis profile, and claims of
 *   STU1 `CARIN-BB-ExplanationOfBenefit-*` profiles are dropped). Other profile claims (PDex PA) stay.
 */
import type {
  CodeableConcept,
  ExplanationOfBenefit,
  ExplanationOfBenefitItemAdjudication,
  Extension,
  Money,
} from '@medplum/fhirtypes';
import { PDEX_PA } from './prior-auth-view.js';
import { C4BB_PROFILE } from './profile-urls.js';
import { CODE_SYSTEM } from './systems.js';

/** Every line level that carries prices and adjudications. */
const LINE_LEVELS = ['item', 'item.detail', 'item.detail.subDetail', 'addItem', 'addItem.detail', 'addItem.detail.subDetail'] as const;

/** The ExplanationOfBenefit elements Provider Access never releases (documentation; see file comment). */
export const PROVIDER_ACCESS_STRIPPED_ELEMENTS: readonly string[] = [
  'ExplanationOfBenefit.total',
  'ExplanationOfBenefit.payment',
  'ExplanationOfBenefit.payee',
  'ExplanationOfBenefit.benefitBalance',
  ...['', ...LINE_LEVELS.map((l) => `${l}.`)].flatMap((l) => [
    `ExplanationOfBenefit.${l}adjudication.amount`,
    `ExplanationOfBenefit.${l}adjudication.value (kept on unit-count categories)`,
    `ExplanationOfBenefit.${l}adjudication (entries of an amount-type category)`,
  ]),
  ...LINE_LEVELS.flatMap((l) => [`ExplanationOfBenefit.${l}.unitPrice`, `ExplanationOfBenefit.${l}.factor`, `ExplanationOfBenefit.${l}.net`]),
];

/** CARIN non-financial profiles, C4BB 2.1.0 (HL7/carin-bb examples `*-nonfinancial.fsh`; profiles/README.md). */
export const C4BB_BASIS_PROFILE = {
  eobInpatient: `${C4BB_PROFILE.eobInpatient}-Basis`,
  eobOutpatient: `${C4BB_PROFILE.eobOutpatient}-Basis`,
  eobProfessional: `${C4BB_PROFILE.eobProfessional}-Basis`,
  eobPharmacy: `${C4BB_PROFILE.eobPharmacy}-Basis`,
  eobOral: `${C4BB_PROFILE.eobOral}-Basis`,
} as const;

const BASIS_OF: ReadonlyMap<string, string> = new Map([
  [C4BB_PROFILE.eobInpatient, C4BB_BASIS_PROFILE.eobInpatient],
  [C4BB_PROFILE.eobOutpatient, C4BB_BASIS_PROFILE.eobOutpatient],
  [C4BB_PROFILE.eobProfessional, C4BB_BASIS_PROFILE.eobProfessional],
  [C4BB_PROFILE.eobPharmacy, C4BB_BASIS_PROFILE.eobPharmacy],
  [C4BB_PROFILE.eobOral, C4BB_BASIS_PROFILE.eobOral],
]);

/** Financial CARIN EOB profiles: C4BB (1.x, 2.x, and the abstract parent) and STU1 CARIN-BB. */
const FINANCIAL_CARIN_EOB = /^http:\/\/hl7\.org\/fhir\/us\/carin-bb\/StructureDefinition\/(C4BB|CARIN-BB)-ExplanationOfBenefit(?!.*-Basis$)/;

const PDEX_CS = 'http://hl7.org/fhir/us/davinci-pdex/CodeSystem';
const PDEX_ADJUDICATION_AMOUNTS = `${PDEX_CS}/PDexAdjudicationCS`;
const PDEX_PA_VALUE_CODES = `${PDEX_CS}/PriorAuthorizationValueCodes`;

/** Category code systems whose every code is an amount (THO adjudication: submitted, copay, eligible, deductible, eligpercent, tax, benefit …). */
const AMOUNT_SYSTEMS: ReadonlySet<string> = new Set([CODE_SYSTEM.adjudication, CODE_SYSTEM.c4bbAdjudication, PDEX_ADJUDICATION_AMOUNTS]);
const key = (system: string, code: string): string => `${system}|${code}`;
const AMOUNT_CATEGORIES: ReadonlySet<string> = new Set([key(CODE_SYSTEM.c4bbAdjudicationDiscriminator, 'adjudicationamounttype')]);
/** Categories whose `value` is a count of units, kept. */
const UNIT_CATEGORIES: ReadonlySet<string> = new Set([
  key(CODE_SYSTEM.c4bbAdjudicationDiscriminator, 'allowedunits'),
  key(PDEX_PA.adjudicationDiscriminator, 'allowedunits'),
  key(PDEX_PA.adjudicationDiscriminator, 'consumedunits'),
  ...['submitted', 'eligible', 'utilized'].map((c) => key(PDEX_PA_VALUE_CODES, c)),
]);
/** Status and reason categories (C4BB 1.x–2.1 discriminators, PDex denialreason); C4BB 1.1 used status codes as categories. */
const STATUS_CATEGORIES: ReadonlySet<string> = new Set([
  ...['denialreason', 'adjustmentreason', 'rejectreason', 'billingnetworkstatus', 'renderingnetworkstatus', 'benefitpaymentstatus', 'billingnetworkcontractingstatus', 'renderingnetworkcontractingstatus', 'inoutnetwork'].map((c) =>
    key(CODE_SYSTEM.c4bbAdjudicationDiscriminator, c),
  ),
  key(PDEX_PA.adjudicationDiscriminator, 'denialreason'),
]);
const STATUS_SYSTEMS: ReadonlySet<string> = new Set([CODE_SYSTEM.c4bbPayerAdjudicationStatus]);

type CategoryKind = 'amount' | 'units' | 'status' | 'unknown';

function kindOf(category: CodeableConcept | undefined): CategoryKind {
  const codings = category?.coding ?? [];
  const has = (test: (system: string, code: string) => boolean): boolean => codings.some((c) => test(c.system ?? '', c.code ?? ''));
  if (has((s, c) => AMOUNT_SYSTEMS.has(s) || AMOUNT_CATEGORIES.has(key(s, c)))) return 'amount';
  if (has((s, c) => UNIT_CATEGORIES.has(key(s, c)))) return 'units';
  if (has((s, c) => STATUS_SYSTEMS.has(s) || STATUS_CATEGORIES.has(key(s, c)))) return 'status';
  return 'unknown';
}

/** Extensions without any money value (an adjudication's extensions could carry one). */
function withoutMoney(extensions: Extension[] | undefined): Extension[] | undefined {
  const kept: Extension[] = [];
  for (const e of extensions ?? []) {
    if (e.valueMoney !== undefined) continue;
    if (!e.extension) {
      kept.push(e);
      continue;
    }
    const inner = withoutMoney(e.extension);
    if (inner) kept.push({ ...e, extension: inner });
  }
  return kept.length > 0 ? kept : undefined;
}

/** The released form of one adjudication entry, or undefined when nothing of it may be released. */
function releasedAdjudication(entry: ExplanationOfBenefitItemAdjudication): ExplanationOfBenefitItemAdjudication | undefined {
  let kind = kindOf(entry.category);
  if (kind === 'unknown' && entry.amount !== undefined) kind = 'amount';
  if (kind === 'amount') return undefined;
  const { amount: _amount, value, extension, ...rest } = entry;
  const extensions = withoutMoney(extension);
  return { ...rest, ...(extensions ? { extension: extensions } : {}), ...(kind === 'units' && value !== undefined ? { value } : {}) };
}

interface AdjudicationHolder {
  adjudication?: ExplanationOfBenefitItemAdjudication[];
}

function stripAdjudications(holder: AdjudicationHolder): void {
  const kept = (holder.adjudication ?? []).map(releasedAdjudication).filter((a): a is ExplanationOfBenefitItemAdjudication => a !== undefined);
  if (kept.length > 0) holder.adjudication = kept;
  else delete holder.adjudication;
}

interface PricedLine extends AdjudicationHolder {
  unitPrice?: Money;
  factor?: number;
  net?: Money;
}

function stripLine(line: PricedLine): void {
  delete line.unitPrice;
  delete line.factor;
  delete line.net;
  stripAdjudications(line);
}

/** C4BB 2.1.0 introduced the Basis profiles (examples claim `|2.1.0`); "2.1.0-snapshot1" counts as 2.1. */
function hasBasisProfiles(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 2 || (major === 2 && minor >= 1);
}

function releasedProfileClaims(profiles: readonly string[]): string[] {
  const out: string[] = [];
  for (const claim of profiles) {
    const [canonical, version] = claim.split('|', 2) as [string, string | undefined];
    const basis = BASIS_OF.get(canonical);
    let released: string | undefined = claim;
    if (basis) released = version === undefined ? basis : hasBasisProfiles(version) ? `${basis}|${version}` : undefined;
    else if (FINANCIAL_CARIN_EOB.test(canonical)) released = undefined;
    if (released !== undefined && !out.includes(released)) out.push(released);
  }
  return out;
}

/** The EOB without provider remittance and enrollee cost-sharing data, changed in place: only for a copy the caller owns (e.g. just parsed from JSON), so nothing is cloned twice. */
export function stripFinancialInPlace<T extends ExplanationOfBenefit>(eob: T): T {
  delete eob.total;
  delete eob.payment;
  delete eob.payee;
  delete eob.benefitBalance;
  stripAdjudications(eob);
  for (const item of eob.item ?? []) {
    stripLine(item);
    for (const detail of item.detail ?? []) {
      stripLine(detail);
      for (const sub of detail.subDetail ?? []) stripLine(sub);
    }
  }
  for (const added of eob.addItem ?? []) {
    stripLine(added);
    for (const detail of added.detail ?? []) {
      stripLine(detail);
      for (const sub of detail.subDetail ?? []) stripLine(sub);
    }
  }
  if (eob.meta?.profile) {
    const profiles = releasedProfileClaims(eob.meta.profile);
    if (profiles.length > 0) eob.meta.profile = profiles;
    else delete eob.meta.profile;
    if (Object.keys(eob.meta).length === 0) delete eob.meta;
  }
  return eob;
}

/** A copy of the EOB without provider remittance and enrollee cost-sharing data (the input is not changed). */
export function withoutRemittanceAndCostSharing<T extends ExplanationOfBenefit>(eob: T): T {
  return stripFinancialInPlace(structuredClone(eob));
}

const EOB_MARKER = /"resourceType"\s*:\s*"ExplanationOfBenefit"/;

function isExplanationOfBenefit(value: unknown): value is ExplanationOfBenefit {
  return typeof value === 'object' && value !== null && (value as { resourceType?: unknown }).resourceType === 'ExplanationOfBenefit';
}

/**
 * One resource as JSON text (e.g. an NDJSON line): the same string when it is not an
 * ExplanationOfBenefit, else the stripped EOB re-serialized. A Bundle is not an EOB and is returned
 * as is: strip its entries one by one. Malformed JSON that mentions an EOB throws rather than passes.
 */
export function stripFinancialJson(json: string): string {
  if (!EOB_MARKER.test(json)) return json;
  const parsed: unknown = JSON.parse(json);
  if (!isExplanationOfBenefit(parsed)) return json;
  return JSON.stringify(stripFinancialInPlace(parsed));
}

const isDrug = (product: CodeableConcept | undefined): boolean =>
  (product?.coding ?? []).some((c) => c.system === CODE_SYSTEM.ndc || c.system === CODE_SYSTEM.rxnorm);

/**
 * A prior authorization of drugs, which CMS-0057-F leaves out of the Provider Access API: a pharmacy
 * claim type, or items that are all drugs (NDC or RxNorm). A request mixing drugs and other services
 * is not a drug prior authorization: its non-drug services must be shared.
 */
export function isDrugPriorAuthorization(eob: ExplanationOfBenefit): boolean {
  if (eob.use !== 'preauthorization') return false;
  if ((eob.type?.coding ?? []).some((c) => c.system === CODE_SYSTEM.claimType && c.code === 'pharmacy')) return true;
  const items = eob.item ?? [];
  return items.length > 0 && items.every((i) => isDrug(i.productOrService));
}

/**
 * What a provider or another payer sees of a stored resource's JSON (Provider Access, Payer-to-Payer):
 * claims without remittances and cost-sharing, anything else as stored.
 */
export function presentWithoutFinancials(type: string, json: string): string {
  return type === 'ExplanationOfBenefit' ? stripFinancialJson(json) : json;
}

/** The NDJSON export line of such a resource, or undefined to leave it out (a drug prior authorization). */
export function exportLineWithoutFinancials(type: string, json: string): string | undefined {
  if (type !== 'ExplanationOfBenefit') return json;
  const eob = JSON.parse(json) as ExplanationOfBenefit;
  if (isDrugPriorAuthorization(eob)) return undefined;
  return JSON.stringify(stripFinancialInPlace(eob));
}
