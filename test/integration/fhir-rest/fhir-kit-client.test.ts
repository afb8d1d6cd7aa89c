/**
 * A real, widely used FHIR client (fhir-kit-client) against the running server: what an integrator's
 * code sees for create, read, search, paging with nextPage, transaction, update, patch, vread,
 * history and delete (R4 http.html).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type FhirResource, type PaginationParams } from 'fhir-kit-client';
import type { Bundle, CapabilityStatement, Observation, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { aPatient } from '../../helpers/fhir-json.js';

let srv: TestServer;
let client: Client;

/** fhir-kit-client types every resource as FhirResource; the tests know the shape they asked for. */
const as = <T>(r: FhirResource): T => r as unknown as T;
const asResource = (r: object): FhirResource => r as unknown as FhirResource;

/** fhir-kit-client rejects with an Error carrying `response.status` and the parsed body as `response.data`. */
interface ClientError {
  response?: { status?: number; data?: unknown };
}

async function failure(promise: Promise<unknown>): Promise<{ status?: number; data?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return (err as ClientError).response ?? {};
  }
  throw new Error('expected the request to fail');
}

async function createPatient(family: string, given = 'Alex'): Promise<Patient> {
  return as<Patient>(await client.create({ resourceType: 'Patient', body: asResource(aPatient(family, given)) }));
}

beforeAll(async () => {
  srv = await startTestServer();
  client = new Client({ baseUrl: srv.baseUrl, bearerToken: srv.adminToken });
});
afterAll(async () => {
  await srv?.stop();
});

describe('fhir-kit-client against the server', () => {
  it('when the client asks for the CapabilityStatement, then it gets R4 JSON', async () => {
    const cs = as<CapabilityStatement>(await client.capabilityStatement());
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
  });

  it('when a Patient is created, then the client gets it back with a server id and version 1, and can read it', async () => {
    const created = await createPatient('Kitson', 'Ada');
    expect(created.id).toBeTruthy();
    expect(created.meta?.versionId).toBe('1');
    const read = as<Patient>(await client.read({ resourceType: 'Patient', id: created.id as string }));
    expect(read).toEqual(created);
  });

  it('when the client searches, then it gets a searchset with the matches and their total', async () => {
    const a = await createPatient('Searchable', 'One');
    const b = await createPatient('Searchable', 'Two');
    await createPatient('Otherwise', 'Three');
    const bundle = as<Bundle>(await client.search({ resourceType: 'Patient', searchParams: { family: 'Searchable' } }));
    expect(bundle.type).toBe('searchset');
    expect(bundle.total).toBe(2);
    expect((bundle.entry ?? []).map((e) => e.resource?.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('when the client pages with nextPage until there is none, then every match is seen exactly once', async () => {
    const tx = as<Bundle>(
      await client.transaction({
        body: asResource({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: Array.from({ length: 55 }, (_, i) => ({
            resource: aPatient('Paged', `P${String(i).padStart(2, '0')}`),
            request: { method: 'POST', url: 'Patient' },
          })),
        }),
      }),
    );
    const created = (tx.entry ?? []).map((e) => e.resource?.id as string);
    expect(created.length).toBe(55);

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let page: Bundle | undefined = as<Bundle>(await client.search({ resourceType: 'Patient', searchParams: { family: 'Paged', _count: 10 } }));
    expect(page.total).toBe(55);
    while (page) {
      const ids = (page.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string);
      pageSizes.push(ids.length);
      seen.push(...ids);
      const next: Promise<FhirResource> | undefined = client.nextPage({ bundle: page as unknown as PaginationParams['bundle'] });
      page = next ? as<Bundle>(await next) : undefined;
    }
    expect(pageSizes).toEqual([10, 10, 10, 10, 10, 5]);
    expect(seen.length).toBe(55);
    expect(new Set(seen)).toEqual(new Set(created));
  });

  it('when the client sends a transaction with urn:uuid references, then every entry is created and references resolve', async () => {
    const patientUrn = 'urn:uuid:6f1c1c2e-8a65-4d4b-9a57-0b5f0f0d1a11';
    const response = as<Bundle>(
      await client.transaction({
        body: asResource({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { fullUrl: patientUrn, resource: aPatient('Transacted'), request: { method: 'POST', url: 'Patient' } },
            {
              resource: {
                resourceType: 'Observation',
                status: 'final',
                code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
                subject: { reference: patientUrn },
                effectiveDateTime: '2024-02-01',
              },
              request: { method: 'POST', url: 'Observation' },
            },
          ],
        }),
      }),
    );
    expect(response.type).toBe('transaction-response');
    expect(response.entry?.map((e) => e.response?.status)).toEqual(['201', '201']);
    const patientId = response.entry?.[0]?.resource?.id as string;
    const observationId = response.entry?.[1]?.resource?.id as string;
    const observation = as<Observation>(await client.read({ resourceType: 'Observation', id: observationId }));
    expect(observation.subject?.reference).toBe(`Patient/${patientId}`);
    const bySubject = as<Bundle>(await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${patientId}` } }));
    expect(bySubject.entry?.map((e) => e.resource?.id)).toEqual([observationId]);
  });

  it('when the client updates and patches, then versions increase and vread and history show every version', async () => {
    const created = await createPatient('Versioned', 'V1');
    const id = created.id as string;
    const updated = as<Patient>(await client.update({ resourceType: 'Patient', id, body: asResource({ ...aPatient('Versioned', 'V2'), id }) }));
    expect(updated.meta?.versionId).toBe('2');
    expect(updated.name?.[0]?.given).toEqual(['V2']);
    const patched = as<Patient>(await client.patch({ resourceType: 'Patient', id, jsonPatch: [{ op: 'replace', path: '/gender', value: 'male' }] }));
    expect(patched.meta?.versionId).toBe('3');
    expect(patched.gender).toBe('male');

    const v1 = as<Patient>(await client.vread({ resourceType: 'Patient', id, version: '1' }));
    expect(v1).toEqual(created);
    const v2 = as<Patient>(await client.vread({ resourceType: 'Patient', id, version: '2' }));
    expect(v2).toEqual(updated);

    const history = as<Bundle>(await client.history({ resourceType: 'Patient', id }));
    expect(history.type).toBe('history');
    expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['3', '2', '1']);
    expect(history.entry?.map((e) => e.response?.status)).toEqual(['200', '200', '201']);
  });

  it('when the client deletes a resource, then a read fails with status 410 and an OperationOutcome', async () => {
    const created = await createPatient('Deleted', 'D');
    const id = created.id as string;
    await client.delete({ resourceType: 'Patient', id });
    const { status, data } = await failure(client.read({ resourceType: 'Patient', id }));
    expect(status).toBe(410);
    expect((data as OperationOutcome).resourceType).toBe('OperationOutcome');
    expect((data as OperationOutcome).issue?.[0]?.code).toBe('deleted');
    // The deletion is a version in the history; earlier versions stay readable.
    const history = as<Bundle>(await client.history({ resourceType: 'Patient', id }));
    expect(history.entry?.map((e) => e.response?.status)).toEqual(['204', '201']);
    expect(as<Patient>(await client.vread({ resourceType: 'Patient', id, version: '1' }))).toEqual(created);
  });

  it('when the client reads an unknown id or sends an invalid resource, then the error carries 404 or 422 and an OperationOutcome', async () => {
    const missing = await failure(client.read({ resourceType: 'Patient', id: 'no-such-patient' }));
    expect(missing.status).toBe(404);
    expect((missing.data as OperationOutcome).resourceType).toBe('OperationOutcome');
    const invalid = await failure(client.create({ resourceType: 'Patient', body: asResource({ resourceType: 'Patient', gender: 'not-a-gender' }) }));
    expect(invalid.status).toBe(422);
    expect((invalid.data as OperationOutcome).resourceType).toBe('OperationOutcome');
  });
});
