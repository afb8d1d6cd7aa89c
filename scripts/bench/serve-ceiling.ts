/**
 * Bench child: a ceiling server that answers every request (a POST's body read to the end first) with the same recorded bytes (status, headers,
 * body of one real FHIR response), either on bare node:http or on a bare express 5 app. The FHIR
 * server's throughput is reported as a ratio to these, measured in the same run on the same machine,
 * so a noisy shared host cancels out.
 *
 * argv: <node|express> <fixture.json>   (fixture: RecordedResponse)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import express from 'express';
import { reportReady, stopOnParentRequest } from './child-process.js';

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  /** Base64 of the body bytes. */
  body: string;
}

export type CeilingKind = 'node' | 'express';

async function main(): Promise<void> {
  const [kind, fixturePath] = process.argv.slice(2) as [CeilingKind, string];
  const recorded = JSON.parse(readFileSync(fixturePath, 'utf8')) as RecordedResponse;
  const body = Buffer.from(recorded.body, 'base64');
  const headers = { ...recorded.headers, 'content-length': String(body.length) };

  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  if (kind === 'node') {
    handler = (req, res) => {
      const answer = (): void => {
        res.writeHead(recorded.status, headers);
        res.end(body);
      };
      if (req.method === 'GET') return answer();
      req.on('data', () => undefined);
      req.on('end', answer);
    };
  } else {
    const app = express();
    // As the real app: no x-powered-by, no body-hash ETag, the simple query parser.
    app.disable('x-powered-by');
    app.set('etag', false);
    app.set('query parser', 'simple');
    app.get('/fhir/{*rest}', (_req, res) => {
      res.status(recorded.status).set(headers).end(body);
    });
    // POSTs (PAS $submit, CDS Hooks calls): the body read as the real app reads it (JSON), then the bytes.
    app.post('/{*rest}', express.json({ limit: '5mb', type: ['application/json', 'application/fhir+json'] }), (_req, res) => {
      res.status(recorded.status).set(headers).end(body);
    });
    handler = app;
  }
  const server = createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stopOnParentRequest(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const { port } = server.address() as AddressInfo;
  await reportReady({ url: `http://127.0.0.1:${port}` });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
