/**
 * The CapabilityStatement against the server statements it instantiates (issue 4: "declares the C4BB
 * and PDex profiles it supports with their search parameters, and passes as the C4BB/PDex server
 * statements expect"). The SHALL requirements of CARIN BB 2.1.0 `c4bb`, PDex 2.1.0 `pdex-server` and
 * US Core 6.1.0 `us-core-server` are transcribed in test/fixtures/capability/server-requirements.json.
 *
 * Declaring is not enough: every required search parameter, combination and _include is then sent to
 * the server with `Prefer: handling=strict` (an unsupported parameter is a 400 there), with a member's
 * token, and must answer 200.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { authed, startTestServer, type TestServer } from '../../helpers/test-server.js';
import { demoMemberToken } from '../../helpers/smart-login.js';
import type { DemoLogins } from '../../../src/demo-logins.js';

interface Requirement {
  profiles?: string[];
  interactions?: string[];
  searchParams?: Array<[string, string]>;
  includes?: string[];
  revincludes?: string[];
  combos?: string[][];
}

const requirements = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/capability/server-requirements.json'), 'utf8')) as {
  statements: Record<string, Record<string, Requirement>>;
};

let srv: TestServer;
let cs: CapabilityStatement;
let memberToken: string;
let patient: string;
const byType = new Map<string, CapabilityStatementRestResource>();

beforeAll(async () => {
  srv = await startTestServer({ SEED_MEMBERS: '3' });
  const demo = srv.demo as DemoLogins;
  const member = demo.members[0];
  patient = member.patient;
  const res = await fetch(`${srv.baseUrl}/metadata`);
  expect(res.status).toBe(200);
  cs = (await res.json()) as CapabilityStatement;
  for (const r of cs.rest?.[0]?.resource ?? []) byType.set(r.type, r);
  memberToken = await demoMemberToken(srv, demo, member, 'launch/patient patient/*.rs');
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

/** A syntactically valid value for a parameter of this type (the search need not match anything). */
function sample(type: string, name: string, resourceType: string): string {
  if (name === '_id') return resourceType === 'Patient' ? patient : 'x';
  if (name === 'patient') return `Patient/${patient}`;
  switch (type) {
    case 'reference':
      return name === 'practitioner' ? 'Practitioner/x' : 'x';
    case 'date':
      return 'ge2016-01-01';
    case 'token':
      return 'x';
    default:
      return 'a';
  }
}

const statements = Object.entries(requirements.statements);

describe.each(statements)('the CapabilityStatement against %s', (url, resources) => {
  it('when read, then it instantiates the statement and declares every SHALL profile, interaction, search parameter and include', () => {
    expect(cs.instantiates).toContain(url);
    const missing: string[] = [];
    for (const [type, req] of Object.entries(resources)) {
      const r = byType.get(type);
      if (!r) {
        missing.push(`${type}: not listed`);
        continue;
      }
      for (const p of req.profiles ?? []) if (!r.supportedProfile?.includes(p)) missing.push(`${type}: profile ${p}`);
      for (const i of req.interactions ?? []) if (!r.interaction?.some((x) => x.code === i)) missing.push(`${type}: interaction ${i}`);
      for (const [name, t] of req.searchParams ?? []) {
        const sp = r.searchParam?.find((s) => s.name === name);
        if (!sp) missing.push(`${type}: search parameter ${name}`);
        else if (sp.type !== t) missing.push(`${type}: ${name} is ${sp.type}, not ${t}`);
      }
      for (const combo of req.combos ?? []) for (const name of combo) if (!r.searchParam?.some((s) => s.name === name)) missing.push(`${type}: ${name} (in ${combo.join('+')})`);
      for (const inc of req.includes ?? []) if (!r.searchInclude?.includes(inc)) missing.push(`${type}: _include ${inc}`);
      for (const inc of req.revincludes ?? []) if (!r.searchRevInclude?.includes(inc)) missing.push(`${type}: _revinclude ${inc}`);
    }
    expect(missing).toEqual([]);
  });

  it('when each SHALL search parameter, combination and include is used strictly with a member token, then the server answers 200', async () => {
    const failures: string[] = [];
    for (const [type, req] of Object.entries(resources)) {
      if (!req.interactions?.includes('search-type')) continue;
      const r = byType.get(type);
      const typeOf = (name: string): string => r?.searchParam?.find((s) => s.name === name)?.type ?? 'string';
      const queries: string[][] = [...(req.searchParams ?? []).map(([n]) => [n]), ...(req.combos ?? [])];
      const urls = queries.map((q) => q.map((n) => `${n}=${encodeURIComponent(sample(typeOf(n), n, type))}`).join('&'));
      for (const inc of req.includes ?? []) urls.push(`patient=Patient/${patient}&_include=${encodeURIComponent(inc)}`);
      for (const inc of req.revincludes ?? []) urls.push(`_revinclude=${encodeURIComponent(inc)}`);
      for (const q of urls) {
        const res = await authed(srv, memberToken).get(`/fhir/${type}?${q}`).set('Prefer', 'handling=strict');
        if (res.status !== 200) failures.push(`${type}?${q} → ${res.status} ${JSON.stringify(res.body?.issue?.[0]?.diagnostics ?? '')}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('operations and includes in practice', () => {
  it('when the statement is read, then Patient declares $everything', () => {
    expect(byType.get('Patient')?.operation?.map((o) => o.definition)).toContain('http://hl7.org/fhir/OperationDefinition/Patient-everything');
  });

  it('when the member searches their claims with _include=ExplanationOfBenefit:*, then patient, provider, coverage and insurer come back as includes', async () => {
    const res = await authed(srv, memberToken).get(`/fhir/ExplanationOfBenefit?patient=${patient}&use=claim&_include=ExplanationOfBenefit:*&_count=50`).set('Prefer', 'handling=strict');
    expect(res.status).toBe(200);
    const bundle = res.body as Bundle;
    const included = new Set((bundle.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => e.resource?.resourceType));
    expect(bundle.entry?.some((e) => e.search?.mode === 'match')).toBe(true);
    for (const t of ['Patient', 'Organization', 'Coverage']) expect(included).toContain(t);
  });
});
