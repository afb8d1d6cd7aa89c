/**
 * Where the server lets a caller send it (CRD fhirServer reads, PAS Subscription notifications): https on
 * another host; its own host (loopback) only when OUTBOUND_LOOPBACK is on; never URLs with credentials.
 */
import { describe, expect, it } from 'vitest';
import { outboundUrlAllowed } from '../../../../src/http/outbound-url.js';
import { ehrFetch } from '../../../../src/apis/prior-auth/cds-routes.js';

describe('outbound URLs', () => {
  it('when the URL is https on another host, then it is allowed; plain http there never is', () => {
    expect(outboundUrlAllowed('https://ehr.example.org/fhir', false)).toBe(true);
    expect(outboundUrlAllowed('http://ehr.example.org/fhir', false)).toBe(false);
    expect(outboundUrlAllowed('http://ehr.example.org/fhir', true)).toBe(false);
  });

  it('when the URL is loopback, then only with OUTBOUND_LOOPBACK', () => {
    for (const url of ['http://127.0.0.1:8080/fhir', 'https://localhost/fhir', 'http://[::1]/x']) {
      expect(outboundUrlAllowed(url, false), url).toBe(false);
      expect(outboundUrlAllowed(url, true), url).toBe(true);
    }
  });

  it('when the URL carries credentials, a fragment, another scheme or is not a URL, then it is refused', () => {
    for (const url of ['https://user:pw@ehr.example.org/', 'https://ehr.example.org/#x', 'ftp://ehr.example.org/', 'file:///etc/passwd', 'not a url']) expect(outboundUrlAllowed(url, true), url).toBe(false);
  });

  it('when a CDS Hooks request names a loopback fhirServer without OUTBOUND_LOOPBACK, then the server will not read from it', () => {
    const req = { hook: 'order-sign', hookInstance: 'x', fhirServer: 'http://127.0.0.1:9/fhir', fhirAuthorization: { access_token: 't', token_type: 'Bearer', scope: 's', subject: 'c' }, context: {} };
    expect(ehrFetch(req, false)).toBeUndefined();
    expect(ehrFetch(req, true)).toBeTypeOf('function');
    expect(ehrFetch({ ...req, fhirServer: 'https://ehr.example.org/fhir' }, false)).toBeTypeOf('function');
  });
});
