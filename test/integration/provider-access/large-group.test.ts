/**
 * An attribution list of 100,000 members (CMS-0057-F Provider Access: a large provider organization's
 * roster), through the real server: each member is its own small document (never one document per
 * Group, which MongoDB caps at 16 MB), the Group reads with all 100,000 members, staff page through the
 * entries, and the provider's export walks every member in batches and releases exactly those with a
 * treatment relationship.
 *
 * The 100,000 entries are written straight into the server's attribution store (a rebuild writes them
 * the same way, one document per member); 99,9xx of them name members the payer does not have, who
 * must fall out of the export as not enrolled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Consent, Coverage, Group, Patient } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { backendClientToken, registerBackendClient } from '../../helpers/smart-login.js';
import { choiceOf } from '../../../src/apis/provider-access/member-status.js';
import { LISTS, MEMBERS, memberKey, type AttributionList, type AttributionMember } from '../../../src/apis/provider-access/attribution-store.js';

const SIZE = 100_000;
const LIST = 'attr-large-test';
const ORG = 'Organization/org-large-test';

let srv: TestServer;
let token: string;
/** The seeded Patients put on the list (the rest of the 100,000 are ids the payer does not know). */
let real: string[];

const today = (): string => new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '30' });
  const patients = ((await authed(srv).get('/fhir/Patient?_count=100&_elements=id')).body as Bundle<Patient>).entry?.map((e) => e.resource?.id as string) ?? [];
  real = patients.slice(0, 20);
  const lists = srv.docs.collection<AttributionList>(LISTS);
  const members = srv.docs.collection<AttributionMember>(MEMBERS, { indexes: [['list', '_id'], ['patient']] });
  const now = Date.now();
  await lists.put({ _id: LIST, organization: ORG, name: 'Large clinic roster (test)', kind: 'roster', createdAt: now, updatedAt: now });
  const ids = [...real, ...Array.from({ length: SIZE - real.length }, (_, i) => `unknown-${String(i).padStart(6, '0')}`)];
  for (const patient of ids) {
    await members.put({ _id: memberKey(LIST, patient), list: LIST, organization: ORG, patient, start: '2020-01-01', basis: ['staff'], updatedAt: now });
  }
  // Its Group header in the FHIR store, as the API publishes a list.
  const header: Group = { resourceType: 'Group', id: LIST, type: 'person', actual: true, name: 'Large clinic roster (test)', characteristic: [{ code: { text: 'organization' }, valueReference: { reference: ORG }, exclude: false }] };
  expect((await authed(srv).put(`/fhir/Group/${LIST}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(header))).status).toBeLessThan(300);

  token = await backendClientToken(srv, await registerBackendClient(srv, { role: 'provider', organization: ORG, name: 'Large clinic' }));
}, 180_000);

afterAll(async () => {
  await srv?.stop();
});

describe('an attribution list of 100,000 members', () => {
  it('when the provider reads its Group, then all 100,000 members are in it, and no stored document holds more than one member', async () => {
    const res = await authed(srv, token).get(`/fhir/Group/${LIST}`);
    expect(res.status).toBe(200);
    const group = res.body as Group;
    expect(group.quantity).toBe(SIZE);
    expect(group.member).toHaveLength(SIZE);
    expect(new Set(group.member?.map((m) => m.entity.reference)).size).toBe(SIZE);
    // The stored Group is the header only; the members are one document each.
    const stored = await srv.store.current('Group', LIST);
    expect(JSON.stringify(stored?.res).length).toBeLessThan(2_000);
    const one = await srv.docs.collection<AttributionMember>(MEMBERS).get(memberKey(LIST, real[0]));
    expect(JSON.stringify(one).length).toBeLessThan(1_000);
  }, 120_000);

  it('when staff page through the list, then every entry comes once, in order', async () => {
    const seen = new Set<string>();
    let after = '';
    let pages = 0;
    for (;;) {
      const res = await authed(srv).get(`/admin/attribution/lists/${LIST}/members?limit=5000${after ? `&after=${after}` : ''}`);
      expect(res.status).toBe(200);
      const page = res.body as AttributionMember[];
      if (page.length === 0) break;
      pages++;
      for (const e of page) {
        expect(seen.has(e.patient)).toBe(false);
        seen.add(e.patient);
      }
      after = page[page.length - 1].patient;
    }
    expect(seen.size).toBe(SIZE);
    expect(pages).toBe(SIZE / 5000);
  }, 120_000);

  it('when the provider exports the Group, then every member is walked and exactly the enrolled, opted-in real members come out', async () => {
    const kick = await authed(srv, token).get(`/fhir/Group/${LIST}/$export?_type=Patient`).set('Prefer', 'respond-async');
    expect(kick.status).toBe(202);
    const status = String(kick.headers['content-location']).slice(srv.url.length);
    let manifest: { output: Array<{ type: string; url: string; count: number }> } | undefined;
    for (let i = 0; i < 1200 && !manifest; i++) {
      const res = await authed(srv, token).get(status);
      if (res.status === 200) manifest = res.body as typeof manifest;
      else {
        expect(res.status).toBe(202);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(manifest).toBeDefined();
    const file = manifest?.output.find((o) => o.type === 'Patient');
    const got = file ? (await authed(srv, token).get(file.url.slice(srv.url.length))).text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as Patient).id as string) : [];

    // Expected from staff reads: of the real members, those with a Coverage active today and no opt-out.
    const expected: string[] = [];
    for (const p of real) {
      const covs = ((await authed(srv).get(`/fhir/Coverage?beneficiary=Patient/${p}`)).body as Bundle<Coverage>).entry?.map((e) => e.resource as Coverage) ?? [];
      const enrolled = covs.some((c) => c.status === 'active' && (c.period?.start ?? '') <= today() && (c.period?.end === undefined || c.period.end >= today()));
      const consents = ((await authed(srv).get(`/fhir/Consent?patient=Patient/${p}`)).body as Bundle<Consent>).entry?.map((e) => e.resource as Consent) ?? [];
      if (enrolled && choiceOf(consents, today()) === 'in') expected.push(p);
    }
    expect(expected.length).toBeGreaterThan(0);
    expect(got.sort()).toEqual(expected.sort());
  }, 300_000);
});
