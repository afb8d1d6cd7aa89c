/**
 * Where the server may call out to at a caller's choosing (a CRD hook's EHR fhirServer, a PAS
 * Subscription's rest-hook endpoint): an https URL on another host; loopback (http or https) only when
 * OUTBOUND_LOOPBACK allows it (tests, development). No credentials or fragment in the URL.
 */
export function outboundUrlAllowed(value: string, allowLoopback: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'https:') return !loopback || allowLoopback;
  return url.protocol === 'http:' && loopback && allowLoopback;
}
