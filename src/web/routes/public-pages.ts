/**
 * Public pages anyone may read without signing in: the member explanation of the Patient Access API
 * (issue 4, "Plain language") and the member and provider explanation of the Provider Access API
 * (CMS-0057-F, 42 CFR 431.61(a)). The pages depend only on the deployment's URLs, so they are rendered
 * once here and may be cached by browsers and proxies.
 */
import type { Express } from 'express';
import { PAGE_CONTENT_SECURITY_POLICY } from '../../http/route-input.js';
import { route } from '../../http/audience.js';
import { patientAccessPage } from '../pages/patient-access-page.js';
import { providerAccessPage } from '../pages/provider-access-page.js';

export interface PublicPagesDeps {
  /** The FHIR base URL apps connect to. */
  fhirBase: string;
  /** The authorization server's issuer (account page, registration). */
  issuer: string;
}


export function publicPages(app: Express, deps: PublicPagesDeps): void {
  const patientAccess = patientAccessPage({ fhirBase: deps.fhirBase, issuer: deps.issuer });
  const providerAccess = providerAccessPage({ fhirBase: deps.fhirBase, issuer: deps.issuer });

  route(app, { method: 'get', path: '/patient-access', audiences: ['public'], description: 'plain-language page for members about the Patient Access API' }, (_req, res) => {
    // Same for every visitor and holds no personal data, so shared caches may keep it (RFC 9111 §5.2.2.9).
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.setHeader('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    res.status(200).type('html').send(patientAccess);
  });

  route(app, { method: 'get', path: '/provider-access', audiences: ['public'], description: 'plain-language page for members and providers about the Provider Access API and opting out' }, (_req, res) => {
    // Same for every visitor and holds no personal data, so shared caches may keep it (RFC 9111 §5.2.2.9).
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.setHeader('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    res.status(200).type('html').send(providerAccess);
  });
}
