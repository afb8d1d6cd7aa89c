import { describe, expect, it } from 'vitest';
import {
  PA_DECISIONS,
  paDecisionDueAt,
  paPriorityFromProcessPriority,
  processPriorityFor,
} from '../../../src/domain/prior-auth-rules.js';
import { ORP_AUTHORIZED_PROVIDER_TYPES, isOrpAuthorized, providerType } from '../../../src/domain/provider-types.js';

describe('provider types', () => {
  it('when the ORP-authorized list is read, then it is exactly the program list', () => {
    expect([...ORP_AUTHORIZED_PROVIDER_TYPES].sort()).toEqual(
      ['PT-01', 'PT-02', 'PT-05', 'PT-06', 'PT-08', 'PT-10', 'PT-17', 'PT-39', 'PT-51', 'PT-57', 'PT-78', 'PT-90', 'PT-92'].sort(),
    );
  });

  it('when a physician or nurse practitioner is checked, then they may order, refer and prescribe', () => {
    expect(isOrpAuthorized('PT-01')).toBe(true);
    expect(isOrpAuthorized('17')).toBe(true);
  });

  it('when an entity or a non-ORP individual type is checked, then it may not', () => {
    expect(isOrpAuthorized('PT-91')).toBe(false);
    expect(isOrpAuthorized('PT-03')).toBe(false);
    expect(isOrpAuthorized('PT-99')).toBe(false);
  });

  it('when a type is looked up, then its label and NUCC taxonomy are known', () => {
    expect(providerType('PT-10')).toMatchObject({ display: 'Dentist', kind: 'individual', source: 'seed' });
    expect(providerType('pt-01')?.taxonomy.code).toMatch(/^\d{3}[A-Z0-9]{6}X$/);
  });
});

describe('prior-authorization review rules', () => {
  it('when a request is expedited, then the decision is due 72 hours after receipt', () => {
    expect(paDecisionDueAt('2026-01-05T10:00:00Z', 'expedited').toISOString()).toBe('2026-01-08T10:00:00.000Z');
  });

  it('when a request is standard, then the decision is due 7 calendar days after receipt', () => {
    expect(paDecisionDueAt('2026-01-05T10:00:00Z', 'standard').toISOString()).toBe('2026-01-12T10:00:00.000Z');
  });

  it('when a standard review is extended, then 14 more days are allowed', () => {
    expect(paDecisionDueAt(new Date('2026-01-05T10:00:00Z'), 'standard', true).toISOString()).toBe('2026-01-26T10:00:00.000Z');
  });

  it('when priorities map to Claim.priority, then expedited is stat and standard is normal', () => {
    expect(processPriorityFor('expedited')).toBe('stat');
    expect(processPriorityFor('standard')).toBe('normal');
    expect(paPriorityFromProcessPriority('stat')).toBe('expedited');
    expect(paPriorityFromProcessPriority(undefined)).toBe('standard');
  });

  it('when decisions map to X12 review actions, then approvals, denials and pends use A1, A3 and A4', () => {
    expect(PA_DECISIONS.approved.x12ReviewAction.code).toBe('A1');
    expect(PA_DECISIONS.denied.x12ReviewAction.code).toBe('A3');
    expect(PA_DECISIONS.pended.x12ReviewAction.code).toBe('A4');
    expect(PA_DECISIONS.pended.determined).toBe(false);
    expect(PA_DECISIONS.withdrawn.determined).toBe(false);
  });
});
