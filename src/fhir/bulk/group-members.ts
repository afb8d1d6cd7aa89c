/**
 * The members of a FHIR Group as of a time, for `Group/[id]/$export`: `Group.member.entity` references
 * to Patients that are not `inactive` and whose `period` (when given) covers that time, in batches.
 */
import type { Group } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/port.js';

export async function* groupResourceMembers(store: ResourceStore, groupId: string, at: number, batch: number): AsyncIterable<string[]> {
  const record = await store.current('Group', groupId);
  const group = record && !record.del ? (record.res as Group | undefined) : undefined;
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const m of group?.member ?? []) {
    if (m.inactive) continue;
    const start = m.period?.start ? Date.parse(m.period.start) : undefined;
    const end = m.period?.end ? Date.parse(m.period.end) : undefined;
    if ((start !== undefined && start > at) || (end !== undefined && end < at)) continue;
    const match = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(m.entity.reference ?? '');
    if (!match || seen.has(match[1])) continue;
    seen.add(match[1]);
    ids.push(match[1]);
  }
  for (let i = 0; i < ids.length; i += batch) yield ids.slice(i, i + batch);
}
