/**
 * FHIR shapes for the provider directory: Organization (C4BB + US Core), Location,
 * Practitioner (C4BB + US Core) and PractitionerRole (US Core).
 *
 * Provider type (PT-xx) is carried on Organization.type and, for individuals, as a
 * Practitioner.qualification issued by the payer (the enrollment), with the enrollment period.
 * The practitioner↔group link is a PractitionerRole whose period.start is the link's effective
 * date; edit 1010 compares the date of service with that period.
 */
import type { Address, ContactPoint, Location, Organization, Practitioner, PractitionerRole } from '@medplum/fhirtypes';
import { C4BB_PROFILE, c4bbProfileClaims, US_CORE_PROFILE } from '../domain/profile-urls.js';
import type { ProviderType } from '../domain/provider-types.js';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROGRAM_CODE_SYSTEM } from '../domain/systems.js';
import { coding, concept, refTo, typedIdentifier } from './fhir-values.js';

export interface OrganizationInput {
  id: string;
  name: string;
  npi?: string;
  tin?: string;
  providerId?: string;
  providerType?: ProviderType;
  /** HL7 organization-type code: prov (provider) or pay (payer). */
  hl7Type: 'prov' | 'pay';
  payerId?: string;
  address: Address;
  phone: string;
  lastUpdated: string;
}

export function organizationResource(o: OrganizationInput): Organization {
  const identifier: Organization['identifier'] = [];
  if (o.npi) identifier.push(typedIdentifier(IDENTIFIER_SYSTEM.npi, o.npi, 'NPI', 'National provider identifier'));
  if (o.tin) identifier.push(typedIdentifier(IDENTIFIER_SYSTEM.tin, o.tin, 'TAX', 'Tax ID number'));
  if (o.providerId) identifier.push(typedIdentifier(IDENTIFIER_SYSTEM.providerId, o.providerId, 'PRN', 'Provider number'));
  if (o.payerId) {
    identifier.push({ type: concept(CODE_SYSTEM.c4bbIdentifierType, 'payerid', 'Payer ID'), system: IDENTIFIER_SYSTEM.payerId, value: o.payerId });
  }
  const typeCodings = [coding(CODE_SYSTEM.organizationType, o.hl7Type, o.hl7Type === 'pay' ? 'Payer' : 'Healthcare Provider')];
  if (o.providerType) typeCodings.push(coding(PROGRAM_CODE_SYSTEM.providerType, o.providerType.code, o.providerType.display));
  return {
    resourceType: 'Organization',
    id: o.id,
    meta: { lastUpdated: o.lastUpdated, profile: [...c4bbProfileClaims(C4BB_PROFILE.organization), US_CORE_PROFILE.organization] },
    identifier,
    active: true,
    type: [{ coding: typeCodings }],
    name: o.name,
    telecom: [{ system: 'phone', value: o.phone, use: 'work' }],
    address: [o.address],
  };
}

export interface LocationInput {
  id: string;
  name: string;
  pidSl?: string;
  organizationId: string;
  address: Address;
  phone: string;
  lastUpdated: string;
}

export function locationResource(l: LocationInput): Location {
  const location: Location = {
    resourceType: 'Location',
    id: l.id,
    meta: { lastUpdated: l.lastUpdated, profile: [US_CORE_PROFILE.location] },
    status: 'active',
    name: l.name,
    telecom: [{ system: 'phone', value: l.phone, use: 'work' }],
    address: l.address,
    managingOrganization: refTo('Organization', l.organizationId),
  };
  if (l.pidSl) location.identifier = [{ system: IDENTIFIER_SYSTEM.pidSl, value: l.pidSl }];
  return location;
}

export interface PractitionerInput {
  id: string;
  npi: string;
  providerId: string;
  family: string;
  given: string;
  gender: 'male' | 'female';
  suffix: string;
  providerType: ProviderType;
  /** NUCC taxonomy of the practitioner's specialty. */
  taxonomy: { code: string; display: string };
  enrolledFrom: string;
  payerId: string;
  phone: string;
  address: Address;
  lastUpdated: string;
}

export function practitionerResource(p: PractitionerInput): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: p.id,
    meta: { lastUpdated: p.lastUpdated, profile: [...c4bbProfileClaims(C4BB_PROFILE.practitioner), US_CORE_PROFILE.practitioner] },
    identifier: [
      typedIdentifier(IDENTIFIER_SYSTEM.npi, p.npi, 'NPI', 'National provider identifier'),
      typedIdentifier(IDENTIFIER_SYSTEM.providerId, p.providerId, 'PRN', 'Provider number'),
    ],
    active: true,
    name: [{ use: 'official', family: p.family, given: [p.given], suffix: [p.suffix] }],
    telecom: [{ system: 'phone', value: p.phone, use: 'work' }],
    address: [p.address],
    gender: p.gender,
    qualification: [
      {
        // The MassHealth enrollment: provider type, enrollment date, issued by the program.
        code: {
          coding: [coding(PROGRAM_CODE_SYSTEM.providerType, p.providerType.code, p.providerType.display)],
          text: `MassHealth enrolled provider type ${p.providerType.code}`,
        },
        period: { start: p.enrolledFrom },
        issuer: refTo('Organization', p.payerId),
      },
      {
        code: concept(CODE_SYSTEM.nuccTaxonomy, p.taxonomy.code, p.taxonomy.display),
      },
    ],
  };
}

export interface PractitionerRoleInput {
  id: string;
  practitionerId: string;
  organizationId: string;
  locationId: string;
  taxonomy: { code: string; display: string };
  start: string;
  end?: string;
  now: string;
  telecom: ContactPoint;
  lastUpdated: string;
}

export function practitionerRoleResource(r: PractitionerRoleInput): PractitionerRole {
  return {
    resourceType: 'PractitionerRole',
    id: r.id,
    meta: { lastUpdated: r.lastUpdated, profile: [US_CORE_PROFILE.practitionerRole] },
    active: r.end === undefined || r.end >= r.now,
    // Group-practice links are never back-dated: period.start is the link's effective date.
    period: r.end === undefined ? { start: r.start } : { start: r.start, end: r.end },
    practitioner: refTo('Practitioner', r.practitionerId),
    organization: refTo('Organization', r.organizationId),
    code: [concept(CODE_SYSTEM.nuccTaxonomy, r.taxonomy.code, r.taxonomy.display)],
    specialty: [concept(CODE_SYSTEM.nuccTaxonomy, r.taxonomy.code, r.taxonomy.display)],
    location: [refTo('Location', r.locationId)],
    telecom: [r.telecom],
  };
}
