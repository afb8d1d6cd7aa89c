import { describe, expect, it } from 'vitest';
import { DENIAL_EDITS, denialEditsIn, denialReasonConcept, isLinkedToGroupOn } from '../../../src/domain/denial-edits.js';
import { CODE_SYSTEM, PROGRAM_CODE_SYSTEM } from '../../../src/domain/systems.js';

describe('denial edits 1200 and 1010', () => {
  it('when the edits are listed, then they carry the program texts', () => {
    expect(DENIAL_EDITS['1200'].display).toBe('Referring provider required');
    expect(DENIAL_EDITS['1010'].display).toBe('Rendering provider must be enrolled in the group practice');
  });

  it('when a denial reason is built, then the X12 CARC comes first and the program edit second', () => {
    const reason = denialReasonConcept('1010');
    expect(reason.coding?.[0]).toMatchObject({ system: CODE_SYSTEM.carc, code: '96' });
    expect(reason.coding?.[1]).toMatchObject({ system: PROGRAM_CODE_SYSTEM.claimEdit, code: '1010' });
    expect(reason.text).toContain('1010');
  });

  it('when a reason is read back, then the program edit codes are found', () => {
    expect(denialEditsIn(denialReasonConcept('1200'))).toEqual(['1200']);
    expect(denialEditsIn({ coding: [{ system: CODE_SYSTEM.carc, code: '16' }] })).toEqual([]);
    expect(denialEditsIn(undefined)).toEqual([]);
  });
});

describe('group practice links (edit 1010)', () => {
  const links = [{ start: '2021-04-01', end: '2023-06-30' }, { start: '2024-02-01' }];

  it('when the date of service is within a link, then the rendering provider is linked', () => {
    expect(isLinkedToGroupOn(links, '2021-04-01')).toBe(true);
    expect(isLinkedToGroupOn(links, '2023-06-30')).toBe(true);
    expect(isLinkedToGroupOn(links, '2025-11-12T10:00:00Z')).toBe(true);
  });

  it('when the date of service precedes the link effective date, then it is not linked (links are never back-dated)', () => {
    expect(isLinkedToGroupOn(links, '2021-03-31')).toBe(false);
    expect(isLinkedToGroupOn(links, '2024-01-31')).toBe(false);
  });

  it('when the practitioner left before the date of service, then it is not linked', () => {
    expect(isLinkedToGroupOn([{ start: '2019-01-01', end: '2020-12-31' }], '2021-01-01')).toBe(false);
  });
});
