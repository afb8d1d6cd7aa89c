/**
 * What a caller may do, as a value the FHIR engine receives (it never looks at tokens itself).
 * The auth layer (a later issue) turns a token into an Access; the engine asks `allows` before each
 * interaction and ANDs `filter` into every store query, so search, include, history and $everything
 * all inherit the caller's compartment without each remembering to.
 */
import type { FilterDocument } from '../store/port.js';

export type Interaction = 'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'patch' | 'delete';

export interface Access {
  /** Who, for audit logs (never PHI): e.g. "admin", "client:abc". */
  readonly principal: string;
  allows(type: string, interaction: Interaction): boolean;
  /** A filter ANDed into every query for this type, or undefined for no restriction. */
  filterFor(type: string): FilterDocument | undefined;
}

/** Unrestricted access: payer staff and internal jobs. */
export const fullAccess = (principal = 'system'): Access => ({
  principal,
  allows: () => true,
  filterFor: () => undefined,
});
