import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { fakeKey, type RecordedRequest, startUpstream, type Upstream } from '@auth/testkit';
import { writeRelayError } from './write-relay-error.ts';

/** One-shot answer of the fake relay, instead of its session check and forwarding. */
export type RelayReply = (request: RecordedRequest, res: ServerResponse) => void;

/**
 * A stand-in for the app's backend relay (`createRelay` of `@auth/core`), small enough to trust in tests: it
 * answers under `/api/openai`, checks a `session` cookie (401 in OpenAI's error shape without one), and forwards
 * to the testkit's stub OpenAI API with its own server key, streaming the answer back.
 */
export interface FakeRelay {
  /** `http://127.0.0.1:PORT/api/openai`: the `relayURL` for the client. */
  url: string;
  origin: string;
  /** What the browser side sent to the relay, in order. */
  requests: RecordedRequest[];
  /** The stub OpenAI API behind the relay. */
  upstream: Upstream;
  /** The key the relay adds for upstream; must never reach the browser side. */
  serverKey: string;
  /** Valid session tokens; the `session` cookie must hold one. */
  sessions: Set<string>;
  /** A valid session token, in `sessions` at start. */
  session: string;
  /** Queues a one-shot answer for the next request. */
  reply(reply: RelayReply): void;
  /**
   * A `fetch` that behaves like a page's on `pageOrigin` (default: the relay's own origin) with the session
   * cookie in its jar: the cookie goes along for `credentials: 'include'`, or `'same-origin'` to the page's origin.
   */
  browserFetch(pageOrigin?: string): (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  close(): Promise<void>;
}

const mountPath = '/api/openai';

/**
 * Starts the fake relay (and its stub upstream) on 127.0.0.1.
 *
 * @example
 * const relay = await startFakeRelay();
 * const relayFetch = createRelayFetch({ relayURL: relay.url, fetch: relay.browserFetch() });
 * await relay.close();
 */
export async function startFakeRelay(): Promise<FakeRelay> {
  const serverKey = fakeKey('project');
  const upstream = await startUpstream({ expectedKey: serverKey });
  const requests: RecordedRequest[] = [];
  const queue: RelayReply[] = [];
  const session = randomUUID();
  const sessions = new Set<string>([session]);
  const sockets = new Set<Socket>();
  let closing = false;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const record: RecordedRequest = {
      method: req.method ?? '',
      target: req.url ?? '',
      path: (req.url ?? '').split('?')[0] ?? '',
      headers: headersOf(req),
      rawHeaders: [...req.rawHeaders],
      body: '',
      aborted: false,
    };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished && !closing) record.aborted = true;
    });
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {});
    req.on('end', () => {
      record.body = Buffer.concat(chunks).toString('utf8');
      const custom = queue.shift();
      if (custom) custom(record, res);
      else void forward(record, res);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('startFakeRelay: no TCP address');
  const origin = `http://127.0.0.1:${address.port}`;

  async function forward(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const cookie = record.headers.cookie?.join('; ') ?? '';
    const token = /(?:^|;\s*)session=([^;]+)/.exec(cookie)?.[1];
    if (token === undefined || !sessions.has(token)) {
      writeRelayError(res, 401, 'Your session has expired: sign in again.', 'session_expired');
      return;
    }
    if (!record.path.startsWith(`${mountPath}/`)) {
      writeRelayError(res, 404, 'Not found.', 'not_found');
      return;
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const answer = await fetch(upstream.url + record.target.slice(mountPath.length), {
        method: record.method,
        headers: {
          authorization: `Bearer ${serverKey}`,
          ...(record.body ? { 'content-type': 'application/json' } : {}),
        },
        ...(record.body ? { body: record.body } : {}),
        signal: controller.signal,
      });
      res.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
        ...(answer.headers.has('retry-after')
          ? { 'retry-after': answer.headers.get('retry-after') ?? '' }
          : {}),
      });
      res.flushHeaders();
      const reader = answer.body?.getReader();
      for (let read = await reader?.read(); read && !read.done; read = await reader?.read())
        res.write(read.value);
      res.end();
    } catch {
      if (!res.headersSent) writeRelayError(res, 502, 'Upstream failed.', 'upstream_error');
      else res.destroy();
    }
  }

  return {
    url: `${origin}${mountPath}`,
    origin,
    requests,
    upstream,
    serverKey,
    sessions,
    session,
    reply(reply) {
      queue.push(reply);
    },
    browserFetch(pageOrigin = origin) {
      return (input, init) => {
        const request = new Request(input, init);
        const sameOrigin = new URL(request.url).origin === pageOrigin;
        if (request.credentials === 'include' || (request.credentials === 'same-origin' && sameOrigin)) {
          // What the browser's cookie jar adds; undici, unlike a browser, lets a script set it.
          request.headers.set('cookie', `session=${session}`);
        }
        return fetch(request);
      };
    },
    async close() {
      closing = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      await upstream.close();
    },
  };
}

function headersOf(req: IncomingMessage): Record<string, string[]> {
  const headers: Record<string, string[]> = Object.create(null);
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    headers[name] = [...(headers[name] ?? []), req.rawHeaders[i + 1]!];
  }
  return headers;
}
