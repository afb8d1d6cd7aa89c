import { aMember } from './src/synthetic/member-builder.ts';
const m = aMember(3).inPlan('PCC').withClaims(12).withDenial('1200').withDenial('1010').withPriorAuths(4).optedInToPayerToPayer().build();
const pick = (f: (r: any) => boolean) => m.resources.find(f);
console.log(m.resources.length, m.denials);
const den = pick((r) => r.resourceType === 'ExplanationOfBenefit' && JSON.stringify(r).includes('1200'));
console.log(JSON.stringify(den, null, 1).slice(0, 4000));
const cr = pick((r) => r.resourceType === 'ClaimResponse');
console.log(JSON.stringify(cr, null, 1).slice(0, 3500));
