/**
 * The Prior Authorization API (CMS-0057-F 42 CFR 431.80; Da Vinci CRD, DTR and PAS), assembled: the rule
 * set staff maintain (versioned), and what the CapabilityStatement declares. The PDex views members read
 * are kept by pa-view-derivation.ts (wired into the engine in app.ts).
 */
import type { Express } from 'express';
import type { ApiParts } from '../../app.js';
import type { DocumentStore } from '../../store/document-port.js';
import type { ResourceStore } from '../../store/port.js';
import type { PaRuleSet } from '../../domain/pa-requirements.js';
import { paRulesStore } from './pa-rules-store.js';
import { FhirError } from '../../fhir/outcome.js';

export interface PriorAuthOptions {
  store: ResourceStore;
  docs: DocumentStore;
  clock: () => Date;
}

export function priorAuthApi(o: PriorAuthOptions) {
  const rules = paRulesStore(o.docs, o.clock);
  return {
    rules,
    /** Saves the first version of the rules when there is none (at startup). */
    async ensureRules(initial: () => Promise<PaRuleSet>): Promise<boolean> {
      if (await rules.latest()) return false;
      const set = await initial();
      try {
        await rules.save(() => set, { by: 'system', comment: 'initial rules', expectVersion: 0 });
        return true;
      } catch (err) {
        // Another instance saved the first version meanwhile.
        if (err instanceof FhirError && err.status === 409) return false;
        throw err;
      }
    },
    parts(mount?: (app: Express) => void): ApiParts {
      return { ...(mount ? { mount } : {}) };
    },
  };
}

export type PriorAuthApi = ReturnType<typeof priorAuthApi>;
