/**
 * GET /metadata: the CapabilityStatement generated from what the server really supports — the resource
 * types and search parameters of the registry, the interactions the REST engine implements, the
 * profiles declared in profiles/ — on top of the static parts in capability-statement/base.json.
 */
import { readFileSync } from 'node:fs';
import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestSecurity } from '@medplum/fhirtypes';
import type { SearchRegistry } from '../search/registry.js';

export interface DeclaredProfile {
  url: string;
  type: string;
}

export interface CapabilityInputs {
  registry: SearchRegistry;
  profiles: DeclaredProfile[];
  baseUrl: string;
  version: string;
  now: Date;
  /** Path of the static base (capability-statement/base.json). */
  basePath: string;
  /** rest.security: the SMART service and oauth-uris extension, from the auth layer. */
  security?: CapabilityStatementRestSecurity;
  /** Operations the CMS APIs add, by resource type. */
  operations?: Readonly<Record<string, NonNullable<CapabilityStatementRestResource['operation']>>>;
}

const TYPE_INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
].map((code) => ({ code: code as NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'] }));

const RESULT_PARAMS = ['_count', '_sort', '_include', '_revinclude', '_summary', '_total', '_elements'];

/** Operations the REST engine implements, by resource type. */
const OPERATIONS: Readonly<Record<string, CapabilityStatementRestResource['operation']>> = {
  Patient: [
    {
      name: 'everything',
      definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
      documentation: 'The patient, their compartment and the directory resources it references; _since, _type, start, end (dates of care), _count; paged by next links.',
    },
    {
      name: 'export',
      definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export',
      documentation: 'Bulk Data 2.0 (Prefer: respond-async): _type, _since, _until, _typeFilter, POST patient; NDJSON files for the client that asked.',
    },
  ],
  Group: [
    {
      name: 'export',
      definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export',
      documentation: "Bulk Data 2.0 (Prefer: respond-async) of a Group's members: _type, _since, _until, _typeFilter, POST patient.",
    },
  ],
};

export function buildCapabilityStatement(inputs: CapabilityInputs): CapabilityStatement {
  const base = JSON.parse(readFileSync(inputs.basePath, 'utf8')) as CapabilityStatement;
  const provenanceTarget = inputs.registry.get('Provenance', 'target') !== undefined;
  const rest = base.rest?.[0] ?? { mode: 'server' as const };
  const resources: CapabilityStatementRestResource[] = [...inputs.registry.resourceTypes].sort().map((type) => {
    const params = [...inputs.registry.forType(type).values()]
      .filter((d) => d.code === '_id' || (d.evaluate && d.type !== 'composite' && d.type !== 'special'))
      .sort((a, b) => a.code.localeCompare(b.code));
    const refParams = params.filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`);
    const profiles = inputs.profiles.filter((p) => p.type === type).map((p) => p.url);
    return {
      type,
      ...(profiles.length > 0 ? { supportedProfile: profiles } : {}),
      interaction: TYPE_INTERACTIONS,
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalUpdate: false,
      conditionalDelete: 'not-supported',
      searchInclude: refParams.length > 0 ? [...refParams, `${type}:*`] : undefined,
      // Any reference parameter works in _revinclude; US Core names Provenance:target for its resources.
      searchRevInclude: type !== 'Provenance' && provenanceTarget ? ['Provenance:target'] : undefined,
      ...(OPERATIONS[type] || inputs.operations?.[type] ? { operation: [...(OPERATIONS[type] ?? []), ...(inputs.operations?.[type] ?? [])] } : {}),
      searchParam: params.map((p) => ({ name: p.code, definition: p.url || undefined, type: p.type as 'string' })),
    } as CapabilityStatementRestResource;
  });
  return {
    ...base,
    version: inputs.version,
    date: inputs.now.toISOString(),
    software: { ...(base.software ?? { name: 'server' }), version: inputs.version },
    implementation: { ...(base.implementation ?? { description: '' }), url: inputs.baseUrl },
    rest: [
      {
        ...rest,
        ...(inputs.security ? { security: inputs.security } : {}),
        documentation: `${rest.documentation ?? ''} Result parameters supported on every search: ${RESULT_PARAMS.join(', ')}.`.trim(),
        resource: resources,
      },
    ],
  };
}
