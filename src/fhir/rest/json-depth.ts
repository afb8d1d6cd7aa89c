/**
 * A bound on JSON nesting. Validation and index extraction walk resources recursively; a body nested
 * thousands of levels deep would overflow the stack there. No FHIR resource comes near this depth.
 */
import { badRequest } from '../outcome.js';

export const MAX_JSON_DEPTH = 128;

/** Walks with an explicit stack, so the check itself cannot overflow. */
export function assertJsonDepth(value: unknown, what = 'The request body'): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_JSON_DEPTH) throw badRequest(`${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}
