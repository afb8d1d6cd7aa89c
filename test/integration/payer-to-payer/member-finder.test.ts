/**
 * The member finder on the real stores: candidates found by member ID, birth date or last name, scored
 * with the configured rules, and every decision recorded (matched, none, ambiguous) with its candidates'
 * scores for staff review.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Coverage, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { openDocuments, openStore } from '../../../src/server.js';
import { loadResources } from '../../../src/demo-data.js';
import { loadSearchRegistry } from '../../../src/fhir/search/registry.js';
import { policyDeps } from '../../../src/auth/access-policy.js';
import { DEFAULT_MATCH_CONFIG } from '../../../src/domain/member-matching.js';
import { IDENTIFIER_SYSTEM } from '../../../src/domain/systems.js';
import { memberFinder, type MemberFinder } from '../../../src/apis/payer-to-payer/member-finder.js';
import type { ResourceStore } from '../../../src/store/port.js';
import type { DocumentStore } from '../../../src/store/document-port.js';

let dir: string;
let store: ResourceStore;
let docs: DocumentStore;
let finder: MemberFinder;

const member = (id: string, family: string, given: string, birthDate: string, gender: Patient['gender']): Patient => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: IDENTIFIER_SYSTEM.memberId, value: `1000${id}` }],
  name: [{ family, given: [given] }],
  birthDate,
  gender,
});

const asked = (family: string, given: string, birthDate: string, gender: Patient['gender']): Patient => ({
  resourceType: 'Patient',
  name: [{ family, given: [given] }],
  birthDate,
  gender,
});

/** The Coverage with us the requester sends along: our member ID as an MB-typed identifier. */
const coverageWith = (memberId: string): Coverage => ({
  resourceType: 'Coverage',
  status: 'active',
  beneficiary: { reference: 'Patient/1' },
  payor: [{ display: 'MassHealth' }],
  identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, system: 'http://example.org/whatever-they-call-it', value: memberId }],
});

const requester = { client: 'other-payer', organization: 'Organization/other' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'finder-'));
  const config = loadConfig({ DATA_DIR: dir, STORE: 'embedded', LOG_LEVEL: 'silent' });
  store = await openStore(config, pino({ level: 'silent' }));
  docs = await openDocuments(config);
  const registry = loadSearchRegistry();
  await loadResources(
    [
      member('1', "O'Neil", 'Siobhán', '1990-05-01', 'female'),
      member('2', 'Rivera', 'Ana', '1975-11-30', 'female'),
      // Twins in every field the default rule reads; only the member ID tells them apart.
      member('3', 'Nguyen', 'Bao', '2001-02-03', 'male'),
      member('4', 'Nguyen', 'Bao', '2001-02-03', 'male'),
    ],
    { store, registry, baseUrl: 'http://localhost/fhir' },
  );
  let n = 0;
  finder = memberFinder({ store, docs, policy: policyDeps(registry, () => new Date()), config: DEFAULT_MATCH_CONFIG, clock: () => new Date(), newId: () => `d${++n}` });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await docs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('member finder', () => {
  it('when the demographics agree once punctuation and accents are set aside, then the member is matched and the decision is recorded with the scores', async () => {
    const d = await finder.find({ patient: asked('ONEIL', 'Siobhan', '1990-05-01', 'female'), operation: 'member-match', requester });
    expect(d).toMatchObject({ outcome: 'matched', patient: '1', score: 80, truncated: false, requester });
    expect(d.candidates[0]).toMatchObject({ patient: '1', eligible: true, fields: { family: 'equal', given: 'equal', birthDate: 'equal', gender: 'equal', memberId: 'missing' } });
    expect(await finder.decisions.get(d._id)).toEqual(d);
  });

  it('when two members fit, then the outcome is ambiguous with both as candidates; the member ID settles it', async () => {
    const both = await finder.find({ patient: asked('Nguyen', 'Bao', '2001-02-03', 'male'), operation: 'member-match', requester });
    expect(both.outcome).toBe('ambiguous');
    expect(both.patient).toBeUndefined();
    expect(both.candidates.map((c) => c.patient).sort()).toEqual(['3', '4']);
    const one = await finder.find({ patient: asked('Nguyen', 'Bao', '2001-02-03', 'male'), coverage: coverageWith('10004'), operation: 'member-match', requester });
    expect(one).toMatchObject({ outcome: 'matched', patient: '4', score: 100 });
    expect(one.candidates.find((c) => c.patient === '3')).toMatchObject({ score: 60, fields: { memberId: 'different' } });
  });

  it('when nobody fits (a different birth date, or only the member ID of someone else), then the outcome is none and the near misses are kept for review', async () => {
    const off = await finder.find({ patient: asked('Rivera', 'Ana', '1975-11-29', 'female'), operation: 'member-match', requester });
    expect(off.outcome).toBe('none');
    // Found by last name, not eligible: the birth date differs.
    expect(off.candidates[0]).toMatchObject({ patient: '2', eligible: false, fields: { birthDate: 'different' } });
    const stolenId = await finder.find({ patient: asked('Smith', 'John', '1960-01-01', 'male'), coverage: coverageWith('10002'), operation: 'member-match', requester });
    expect(stolenId.outcome).toBe('none');
    expect(stolenId.candidates.map((c) => c.patient)).toEqual(['2']);
    const recorded = await finder.decisions.find({ outcome: 'none' }, { sort: [['at', 1]], limit: 10 });
    expect(recorded.map((r) => r._id)).toEqual(expect.arrayContaining([off._id, stolenId._id]));
  });

  it('when the request holds values that are not valid search values, then they find no candidates and nothing throws', async () => {
    const odd = await finder.find({ patient: asked('Rivera', 'Ana', 'not-a-date', 'female'), coverage: coverageWith('|||'), operation: 'member-match', requester });
    expect(odd.outcome).toBe('none');
  });
});
