/**
 * The synthetic provider directory: the payer, other payers, provider organizations with their
 * service locations (PID/SL), practitioners with NPIs and provider types, and the dated
 * practitioner↔organization links. Members' claims pick their providers from it.
 */
import type { Address, Resource } from '@medplum/fhirtypes';
import { isLinkedToGroupOn } from '../domain/denial-edits.js';
import { npiFromBase } from '../domain/npi.js';
import { formatPidSl } from '../domain/provider-id.js';
import type { ProviderType } from '../domain/provider-types.js';
import { addDays, DAY_MS, instant, msOf, randomDay } from './dates.js';
import { Rng } from './prng.js';
import { locationResource, organizationResource, practitionerResource, practitionerRoleResource } from './provider-resources.js';
import { FAMILY, FEMALE_GIVEN, MA_PLACES, MALE_GIVEN, STREETS, type Place } from './tables/people.js';
import {
  ID_PREFIX,
  KIND_NAMES,
  ORG_TYPE,
  OTHER_PAYERS,
  requireType,
  SPECIALTY_NAMES,
  STAFF_BY_KIND,
  STAFF_BY_SPECIALTY,
  type GroupSpecialty,
  type OrgKind,
  type StaffSpec,
} from './tables/provider-staffing.js';

export type { GroupSpecialty, OrgKind } from './tables/provider-staffing.js';

export interface DirectoryOrg {
  id: string;
  kind: OrgKind | 'payer' | 'other-payer';
  specialty?: GroupSpecialty;
  name: string;
  npi?: string;
  locationIds: string[];
}

export interface DirectoryLink {
  roleId: string;
  orgId: string;
  locationId: string;
  start: string;
  end?: string;
}

export interface DirectoryPractitioner {
  id: string;
  npi: string;
  family: string;
  given: string;
  providerType: ProviderType;
  taxonomy: { code: string; display: string };
  /** Can be a member's PCC/PCP. */
  pcpEligible: boolean;
  links: DirectoryLink[];
}

export interface ProviderDirectory {
  payer: DirectoryOrg;
  otherPayers: DirectoryOrg[];
  orgsOfKind(kind: OrgKind): DirectoryOrg[];
  groupsWith(specialty: GroupSpecialty): DirectoryOrg[];
  org(id: string): DirectoryOrg;
  practitioner(id: string): DirectoryPractitioner;
  /** Practitioners ever linked to the organization. */
  practitionersOf(orgId: string): DirectoryPractitioner[];
  /** Practitioners linked to the organization on the day (edit 1010 passes). */
  linkedOn(orgId: string, day: string): DirectoryPractitioner[];
  /** Directory resources, referenced ones first: organizations, locations, practitioners, roles. */
  resources: Resource[];
}

export interface DirectoryOptions {
  seed: number;
  now: Date;
  /** Number of members the directory serves; scales the number of providers. */
  members: number;
}

function scaled(members: number, perOrg: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.ceil(members / perOrg)));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Unique numbers from a counter: an affine permutation modulo a power of ten. */
class NumberAllocator {
  private next = 0;
  constructor(
    private readonly modulus: number,
    private readonly multiplier: number,
    private readonly offset: number,
  ) {}
  take(): number {
    const k = this.next++;
    return (k * this.multiplier + this.offset) % this.modulus;
  }
}

export function buildProviderDirectory(options: DirectoryOptions): ProviderDirectory {
  const rng = Rng.derive(options.seed, 'directory');
  const nowDay = options.now.toISOString().slice(0, 10);
  const nowMs = msOf(nowDay);
  const npis = new NumberAllocator(100_000_000, 48_271, rng.int(0, 99_999_999));
  const pids = new NumberAllocator(10_000_000, 7_919, rng.int(0, 9_999_999));
  const tins = new NumberAllocator(10_000_000, 104_729, rng.int(0, 9_999_999));
  const phones = new NumberAllocator(100, 37, rng.int(0, 99));

  const orgResources: Resource[] = [];
  const locationResources: Resource[] = [];
  const practitionerResources: Resource[] = [];
  const roleResources: Resource[] = [];
  const orgs = new Map<string, DirectoryOrg>();
  const byKind = new Map<OrgKind, DirectoryOrg[]>();
  const bySpecialty = new Map<GroupSpecialty, DirectoryOrg[]>();
  const practitioners = new Map<string, DirectoryPractitioner>();
  const staffOf = new Map<string, DirectoryPractitioner[]>();
  const usedNames = new Set<string>();

  const lastUpdated = (): string => instant(nowMs - rng.int(1, 400) * DAY_MS + rng.int(0, 86_399) * 1000);
  const nextNpi = (): string => npiFromBase(`1${pad(npis.take(), 8)}`);
  const nextPid = (): string => `11${pad(pids.take(), 7)}`;
  const phone = (place: Place): string => `${place.areaCode}-555-01${pad(phones.take(), 2)}`;
  const address = (place: Place): Address => ({
    use: 'work',
    line: [`${rng.int(1, 999)} ${rng.pick(STREETS)}`],
    city: place.city,
    state: 'MA',
    postalCode: place.postalCode,
    country: 'US',
  });
  const uniqueName = (base: string): string => {
    let name = base;
    for (let n = 2; usedNames.has(name); n++) name = `${base} ${n}`;
    usedNames.add(name);
    return name;
  };

  // The payer and the other payers known for payer-to-payer exchange.
  const payerPlace = MA_PLACES[8];
  const payer: DirectoryOrg = { id: 'org-masshealth', kind: 'payer', name: 'MassHealth', locationIds: [] };
  orgResources.push(
    organizationResource({
      id: payer.id,
      name: payer.name,
      hl7Type: 'pay',
      payerId: 'MASSHEALTH',
      address: { use: 'work', line: ['100 Hancock Street'], city: 'Quincy', state: 'MA', postalCode: '02171', country: 'US' },
      phone: `${payerPlace.areaCode}-555-0100`,
      lastUpdated: lastUpdated(),
    }),
  );
  const otherPayers = OTHER_PAYERS.map((name, i): DirectoryOrg => {
    const org: DirectoryOrg = { id: `org-payer-${pad(i + 1, 2)}`, kind: 'other-payer', name, locationIds: [] };
    const place = rng.pick(MA_PLACES);
    orgResources.push(
      organizationResource({ id: org.id, name, hl7Type: 'pay', payerId: `PAYER${pad(i + 1, 3)}`, address: address(place), phone: phone(place), lastUpdated: lastUpdated() }),
    );
    return org;
  });

  let practitionerCount = 0;

  const addPractitioner = (spec: StaffSpec, org: DirectoryOrg, locationId: string, linkKind: 'anchor' | 'regular'): DirectoryPractitioner => {
    practitionerCount++;
    const id = `pract-${pad(practitionerCount, 4)}`;
    const female = rng.chance(0.55);
    const given = rng.pick(female ? FEMALE_GIVEN : MALE_GIVEN);
    const family = rng.pick(FAMILY);
    const pt = requireType(spec.type);
    // Link dates: anchors were linked before the claims history starts and never left.
    const shape = linkKind === 'anchor' ? 'early' : rng.weighted<'early' | 'late' | 'left'>([['early', 60], ['late', 25], ['left', 15]]);
    const start = shape === 'late' ? randomDay(rng, '2016-02-01', addDays(nowDay, -30)) : randomDay(rng, '2008-01-01', '2015-06-30');
    const end = shape === 'left' ? randomDay(rng, '2017-01-01', addDays(nowDay, -60)) : undefined;
    const enrolledFrom = addDays(start, -rng.int(0, 400));
    const p: DirectoryPractitioner = { id, npi: nextNpi(), family, given, providerType: pt, taxonomy: spec.taxonomy, pcpEligible: spec.pcp === true, links: [] };
    const place = rng.pick(MA_PLACES);
    practitionerResources.push(
      practitionerResource({
        id,
        npi: p.npi,
        providerId: nextPid(),
        family,
        given,
        gender: female ? 'female' : 'male',
        suffix: spec.suffix,
        providerType: pt,
        taxonomy: spec.taxonomy,
        enrolledFrom,
        payerId: payer.id,
        phone: phone(place),
        address: address(place),
        lastUpdated: lastUpdated(),
      }),
    );
    practitioners.set(id, p);
    link(p, org, locationId, start, end);
    return p;
  };

  const link = (p: DirectoryPractitioner, org: DirectoryOrg, locationId: string, start: string, end: string | undefined): void => {
    const roleId = `prole-${p.id.slice(6)}-${p.links.length + 1}`;
    p.links.push(end === undefined ? { roleId, orgId: org.id, locationId, start } : { roleId, orgId: org.id, locationId, start, end });
    const list = staffOf.get(org.id) ?? [];
    if (!list.includes(p)) list.push(p);
    staffOf.set(org.id, list);
    const place = rng.pick(MA_PLACES);
    roleResources.push(
      practitionerRoleResource({
        id: roleId,
        practitionerId: p.id,
        organizationId: org.id,
        locationId,
        taxonomy: p.taxonomy,
        start,
        end,
        now: nowDay,
        telecom: { system: 'phone', value: phone(place), use: 'work' },
        lastUpdated: lastUpdated(),
      }),
    );
  };

  const addOrg = (kind: OrgKind, index: number, specialty?: GroupSpecialty): DirectoryOrg => {
    const place = rng.pick(MA_PLACES);
    const base = specialty ? `${place.city} ${SPECIALTY_NAMES[specialty]}` : `${place.city} ${KIND_NAMES[kind]}`;
    const prefix = specialty ? `${ID_PREFIX[kind]}-${specialty.slice(0, 4)}` : ID_PREFIX[kind];
    const org: DirectoryOrg = { id: `org-${prefix}-${pad(index, 2)}`, kind, specialty, name: uniqueName(base), npi: nextNpi(), locationIds: [] };
    const providerId = nextPid();
    const pt = requireType(kind === 'group' || kind === 'dental' ? 'PT-91' : ORG_TYPE[kind]);
    const orgAddress = address(place);
    orgResources.push(
      organizationResource({
        id: org.id,
        name: org.name,
        npi: org.npi,
        tin: `04${pad(tins.take(), 7)}`,
        providerId,
        providerType: pt,
        hl7Type: 'prov',
        address: orgAddress,
        phone: phone(place),
        lastUpdated: lastUpdated(),
      }),
    );
    const locations = kind === 'hospital' || kind === 'chc' ? rng.int(1, 3) : 1;
    for (let i = 0; i < locations; i++) {
      const sl = String.fromCharCode(65 + i);
      const locId = `loc-${org.id.slice(4)}-${sl.toLowerCase()}`;
      const locPlace = i === 0 ? place : rng.pick(MA_PLACES);
      locationResources.push(
        locationResource({
          id: locId,
          name: i === 0 ? org.name : `${org.name} - ${locPlace.city}`,
          pidSl: formatPidSl(providerId, sl),
          organizationId: org.id,
          address: i === 0 ? orgAddress : address(locPlace),
          phone: phone(locPlace),
          lastUpdated: lastUpdated(),
        }),
      );
      org.locationIds.push(locId);
    }
    orgs.set(org.id, org);
    byKind.set(kind, [...(byKind.get(kind) ?? []), org]);
    if (specialty) bySpecialty.set(specialty, [...(bySpecialty.get(specialty) ?? []), org]);
    const specs = specialty ? STAFF_BY_SPECIALTY[specialty] : STAFF_BY_KIND[kind];
    if (specs) {
      const [min, max] = kind === 'dental' ? [1, 3] : kind === 'group' ? [3, 7] : [3, 6];
      const n = rng.int(min, max);
      for (let i = 0; i < n; i++) {
        // The first two staff are anchors so that someone is always linked on any date of service.
        const spec = i < 2 ? specs[i % specs.length] : rng.pick(specs);
        addPractitioner(spec, org, rng.pick(org.locationIds), i < 2 ? 'anchor' : 'regular');
      }
    }
    return org;
  };

  const m = options.members;
  const specialties: GroupSpecialty[] = ['cardiology', 'orthopedics', 'behavioral', 'therapy', 'vision', 'chiropractic'];
  let groupIndex = 0;
  for (let i = 0; i < scaled(m, 250, 4, 60); i++) addOrg('group', ++groupIndex, 'primary-care');
  for (const s of specialties) for (let i = 0; i < scaled(m, 2000, 1, 10); i++) addOrg('group', ++groupIndex, s);
  const counts: ReadonlyArray<readonly [OrgKind, number]> = [
    ['hospital', scaled(m, 1500, 2, 15)],
    ['chc', scaled(m, 1500, 2, 12)],
    ['urgent-care', scaled(m, 2500, 2, 8)],
    ['lab', scaled(m, 3000, 2, 6)],
    ['pharmacy', scaled(m, 400, 3, 40)],
    ['dme', scaled(m, 3000, 2, 6)],
    ['dental', scaled(m, 800, 2, 20)],
  ];
  for (const [kind, n] of counts) for (let i = 1; i <= n; i++) addOrg(kind, i);

  // Some practitioners also join a second organization of the same kind later (never back-dated).
  for (const p of Array.from(practitioners.values())) {
    if (!rng.chance(0.08)) continue;
    const home = orgs.get(p.links[0].orgId);
    if (!home) continue;
    const peers = (home.specialty ? bySpecialty.get(home.specialty) : byKind.get(home.kind as OrgKind)) ?? [];
    const other = peers.filter((o) => o.id !== home.id);
    if (other.length === 0) continue;
    const second = rng.pick(other);
    link(p, second, rng.pick(second.locationIds), randomDay(rng, p.links[0].start, addDays(nowDay, -30)), undefined);
  }

  const orgOrThrow = (id: string): DirectoryOrg => {
    const o = id === payer.id ? payer : (orgs.get(id) ?? otherPayers.find((x) => x.id === id));
    if (!o) throw new Error(`unknown organization ${id}`);
    return o;
  };

  return {
    payer,
    otherPayers,
    orgsOfKind: (kind) => byKind.get(kind) ?? [],
    groupsWith: (specialty) => bySpecialty.get(specialty) ?? [],
    org: orgOrThrow,
    practitioner: (id) => {
      const p = practitioners.get(id);
      if (!p) throw new Error(`unknown practitioner ${id}`);
      return p;
    },
    practitionersOf: (orgId) => staffOf.get(orgId) ?? [],
    linkedOn: (orgId, day) => (staffOf.get(orgId) ?? []).filter((p) => isLinkedToGroupOn(p.links.filter((l) => l.orgId === orgId), day)),
    resources: [...orgResources, ...locationResources, ...practitionerResources, ...roleResources],
  };
}
