/**
 * What a caller may do, as a value the FHIR engine receives (it never looks at tokens itself).
 * The auth layer turns a token into an Access (src/auth/access-policy.ts); the engine asks `allows`
 * before each interaction and ANDs `filterFor` into every store query and record check, so search,
 * include, history, writes and batch entries all inherit the caller's compartment without each
 * remembering to.
 *
 * Interactions follow SMART App Launch 2.x scopes (scopes-and-launch-context.html, "Scopes for
 * requesting FHIR Resources"): r = read, vread, history-instance; s = search, history-type (and
 * history-system, asked per row type); c = create; u = update, patch; d = delete.
 */
import type { FilterDocument } from '../store/port.js';

export type Interaction = 'read' | 'vread' | 'search' | 'history-instance' | 'history-type' | 'create' | 'update' | 'patch' | 'delete';

export interface Access {
  /** Who, for audit logs (never PHI): e.g. "admin", "client:abc". */
  readonly principal: string;
  /** The OAuth client the token was issued to (bulk export jobs belong to it), when there is a token. */
  readonly client?: string;
  allows(type: string, interaction: Interaction): boolean;
  /**
   * A filter ANDed into every query for this type and interaction, or undefined for no restriction.
   * Only meaningful when `allows` is true for the same pair.
   */
  filterFor(type: string, interaction: Interaction): FilterDocument | undefined;
  /**
   * The JSON a response carries for a stored resource of this type, when the caller sees a reduced
   * view of it (e.g. a claim without payment amounts); absent = the stored JSON as is.
   */
  present?(type: string, json: string): string;
}

/** Unrestricted access: payer staff and internal jobs. */
export const fullAccess = (principal = 'system'): Access => ({
  principal,
  allows: () => true,
  filterFor: () => undefined,
});
