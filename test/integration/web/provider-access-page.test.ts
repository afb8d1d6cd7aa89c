/**
 * The public Provider Access page from the real server (startServer on port 0, as main.ts does): it is
 * mounted by createApp, anyone may read it without a token, and it carries the strict CSP of the other
 * public pages. The page's content is tested in test/unit/web/provider-access-page.test.ts.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

describe('GET /provider-access on the running server', () => {
  it('when anyone asks without a token, then it answers 200 HTML with the strict CSP and no script', async () => {
    const res = await request(srv.url).get('/provider-access');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'");
    expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
    expect(res.text).not.toMatch(/<script/i);
    expect(res.text).toContain('<h1>Provider Access API');
  });

  it('when served, then the URLs on it are the deployment\'s own FHIR base and account page', async () => {
    const res = await request(srv.url).get('/provider-access');
    const fhirBase = srv.baseUrl;
    expect(res.text).toContain(`${fhirBase}/.well-known/smart-configuration`);
    expect(res.text).toMatch(/href="[^"]*\/account\/provider-access"/);
  });

  it('when the Patient Access page is served, then it links to /provider-access', async () => {
    const res = await request(srv.url).get('/patient-access');
    expect(res.status).toBe(200);
    expect(res.text).toContain('href="/provider-access"');
  });
});
