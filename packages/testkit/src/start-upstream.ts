import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { fakeKey } from './fake-key.ts';
import { ALPHANUMERIC, HEX, randomString } from './random-string.ts';

/** One request as the stub upstream received it, recorded in full before it was answered. */
export interface RecordedRequest {
  method: string;
  /** The request target exactly as on the request line, query included. */
  target: string;
  /** `target` without its query, not decoded. */
  path: string;
  /** Lower-cased names; every value kept, in order, duplicates included. */
  headers: Record<string, string[]>;
  /** Names as sent, alternating with their values. */
  rawHeaders: string[];
  body: string;
  /** Becomes true if the client went away before the response ended. */
  aborted: boolean;
}

/** What the stub upstream answers to one request. */
export type Reply =
  | { type: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  | {
      type: 'sse';
      /** Generated `chat.completion.chunk` events, the last with `finish_reason: 'stop'`. Default 3. */
      chunks?: number;
      /** Pause between events. */
      delayMs?: number;
      /**
       * Data payloads sent instead of generated chunks, each as one event (a multi-line payload becomes
       * several `data:` lines). No `[DONE]` is added: include it to end the stream normally.
       */
      events?: string[];
    }
  | {
      type: 'auth_error';
      code:
        | 'invalid_api_key'
        | 'mismatched_organization'
        | 'mismatched_project'
        | 'no_organization'
        | 'missing_scopes';
    }
  | {
      type: 'status';
      status: number;
      /** Sent as `retry-after`, unchecked, so that garbage can be tested. */
      retryAfter?: string;
      /** Sent as `retry-after-ms`, unchecked. */
      retryAfterMs?: string;
      /** A string is sent as is (text/plain); anything else as JSON; none gives OpenAI's error body. */
      body?: string | unknown;
    }
  | { type: 'redirect'; status: 301 | 302 | 303 | 307 | 308; location: string }
  /** `headers`: never answer; `body`: headers and one SSE chunk, then nothing. Both last until `close()`. */
  | { type: 'stall'; phase: 'headers' | 'body' }
  /** SSE headers and `afterChunks` chunks (default 1), then the connection is cut mid-body. */
  | { type: 'reset'; afterChunks?: number }
  /**
   * SSE headers, then a content chunk at once and every `delayMs` (default 100) after, never `[DONE]`: a
   * stream that is alive but never ends. It lasts until the client leaves or `close()`.
   */
  | { type: 'endless'; delayMs?: number }
  /** Full control. The request body has been read already: find it in `upstream.requests`. */
  | { type: 'raw'; handler: (req: IncomingMessage, res: ServerResponse) => void };

/** Options of `startUpstream`. */
export interface UpstreamOptions {
  /** Default `127.0.0.1`. */
  hostname?: string;
  /** Default 0: a free port. */
  port?: number;
  /** When set, default answers are 401 `invalid_api_key` unless `Authorization` is exactly `Bearer <key>`. */
  expectedKey?: string;
}

/** A running stub of the OpenAI API. */
export interface Upstream {
  /** Base URL for clients, `http://127.0.0.1:PORT/v1`. */
  url: string;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Queues a one-shot reply; queued replies answer the next requests in order. */
  reply(reply: Reply | ((request: RecordedRequest) => Reply)): void;
  /** Replaces the built-in answers used when nothing is queued; `undefined` restores them. */
  setDefault(reply: Reply | ((request: RecordedRequest) => Reply) | undefined): void;
  /** Connections and responses so far: what a test checks to prove a client released everything. */
  stats(): UpstreamStats;
  /** Stops listening and ends every connection, stalled ones included. Safe to call twice. */
  close(): Promise<void>;
}

/** Counts of `Upstream.stats()`, live at the time of the call. */
export interface UpstreamStats {
  /** TCP connections accepted since the start (from node:http's `connection` event). */
  connectionsOpened: number;
  /** Of those, how many have closed, whoever closed them. */
  connectionsClosed: number;
  /** Responses not yet finished or torn down: stalled and endless ones until the client leaves. */
  responsesOpen: number;
}

type ReplySource = Reply | ((request: RecordedRequest) => Reply);

const MODEL_IDS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'omni-moderation-latest'];
const MODEL_CREATED = 1_721_172_741;
const DEFAULT_MODEL = 'gpt-4o-mini';
const REPLY_TEXT = ['Hello', ' from', ' the', ' stub', ' upstream.'];
// Responses that `reset` cut on purpose: their close is not the client going away.
const cutByServer = new WeakSet<ServerResponse>();

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

const MISSING_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth " +
  "(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the " +
  'API from your browser and are prompted for a username and password. You can obtain an API key from ' +
  'https://platform.openai.com/account/api-keys.';

const AUTH_ERROR_MESSAGES: Readonly<Record<Exclude<AuthErrorCode, 'invalid_api_key'>, string>> = {
  mismatched_organization: 'OpenAI-Organization header should match organization for API key',
  mismatched_project: 'OpenAI-Project header should match project for API key',
  no_organization:
    'You must be a member of an organization to use the API. Please contact us through our help center at help.openai.com.',
  missing_scopes:
    'You have insufficient permissions for this operation. Missing scopes: api.model.read. Check that you have the ' +
    "correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a " +
    'restricted API key, that it has the necessary scopes.',
};

type AuthErrorCode = Extract<Reply, { type: 'auth_error' }>['code'];

/** Every `auth_error` reply the stub can give: the 401 causes a relay or a doctor must tell apart (C21). */
export const authErrorCodes: readonly AuthErrorCode[] = [
  'invalid_api_key',
  'mismatched_organization',
  'mismatched_project',
  'no_organization',
  'missing_scopes',
];

const STATUS_ERRORS: Readonly<Record<number, { message: string; type: string; code: string | null }>> = {
  429: {
    message: 'Rate limit reached for requests. Please try again later.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  502: { message: 'Bad gateway.', type: 'server_error', code: null },
  503: { message: 'The server is overloaded or not ready yet.', type: 'server_error', code: null },
};

/**
 * Starts an OpenAI-compatible HTTP server on loopback that records every request and answers with queued
 * replies, or else like the real API for models, chat completions (JSON or SSE), responses, embeddings,
 * moderations and Realtime client secrets.
 *
 * @example
 * ```ts
 * const upstream = await startUpstream({ expectedKey: key });
 * upstream.reply({ type: 'status', status: 429, retryAfter: '1' });
 * await fetch(`${upstream.url}/models`, { headers: { authorization: `Bearer ${key}` } });
 * expect(upstream.requests[0]?.path).toBe('/v1/models');
 * await upstream.close();
 * ```
 */
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const queue: ReplySource[] = [];
  let fallback: ReplySource | undefined;
  const sockets = new Set<Socket>();
  const responses = new Set<ServerResponse>();
  let connectionsOpened = 0;
  let connectionsClosed = 0;
  let closing: Promise<void> | undefined;

  const server = createServer((req, res) => {
    responses.add(res);
    res.setHeader('x-request-id', `req_${randomString(HEX, 32)}`);
    const chunks: Uint8Array[] = [];
    let record: RecordedRequest | undefined;
    req.on('data', (chunk: Uint8Array) => chunks.push(chunk));
    // A client leaving mid-body is recorded by the 'close' handler below, not an error of the stub.
    req.on('error', () => {});
    req.on('end', () => {
      record = recordRequest(req, chunks);
      requests.push(record);
      const source = queue.shift() ?? fallback;
      try {
        const reply = typeof source === 'function' ? source(record) : source;
        if (reply === undefined) answerByDefault(record, res, options.expectedKey);
        else answer(reply, record, req, res);
      } catch (error) {
        if (res.headersSent) res.destroy();
        else
          writeJson(
            res,
            500,
            openAiError(`stub upstream: the reply threw: ${String(error)}`, 'server_error', null),
          );
      }
    });
    res.on('close', () => {
      responses.delete(res);
      // Only the client going away counts: cuts made by `reset` or `close()` are the server's own.
      if (res.writableFinished || closing !== undefined || cutByServer.has(res)) return;
      if (record === undefined) {
        record = recordRequest(req, chunks);
        requests.push(record);
      }
      record.aborted = true;
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    connectionsOpened++;
    socket.on('close', () => {
      sockets.delete(socket);
      connectionsClosed++;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('startUpstream: no TCP address');
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;

  return {
    url: `${origin}/v1`,
    origin,
    requests,
    reply(reply) {
      queue.push(reply);
    },
    setDefault(reply) {
      fallback = reply;
    },
    stats() {
      return { connectionsOpened, connectionsClosed, responsesOpen: responses.size };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const res of responses) res.destroy();
        for (const socket of sockets) socket.destroy();
        // Idle keep-alive sockets on runtimes whose node:http emits no 'connection' event.
        server.closeAllConnections?.();
      });
      return closing;
    },
  };
}

function recordRequest(req: IncomingMessage, chunks: readonly Uint8Array[]): RecordedRequest {
  const target = req.url ?? '';
  // No prototype: a header named `__proto__` must land as a header, not replace the prototype.
  const headers: Record<string, string[]> = Object.create(null);
  const rawHeaders = [...req.rawHeaders];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    headers[name] = [...(headers[name] ?? []), rawHeaders[i + 1]!];
  }
  return {
    method: req.method ?? '',
    target,
    path: pathOf(target),
    headers,
    rawHeaders,
    body: new TextDecoder().decode(concat(chunks)),
    aborted: false,
  };
}

function pathOf(target: string): string {
  if (target.startsWith('/')) return target.split(/[?#]/, 1)[0]!;
  try {
    return new URL(target).pathname;
  } catch {
    return target;
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function answer(reply: Reply, record: RecordedRequest, req: IncomingMessage, res: ServerResponse): void {
  switch (reply.type) {
    case 'json':
      writeJson(res, reply.status ?? 200, reply.body, reply.headers);
      return;
    case 'sse':
      streamEvents(res, reply.events ?? completionStream(record, reply.chunks ?? 3), reply.delayMs ?? 0);
      return;
    case 'auth_error':
      writeJson(res, 401, authErrorBody(reply.code, record));
      return;
    case 'status': {
      const headers: Record<string, string> = {};
      if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
      if (reply.retryAfterMs !== undefined) headers['retry-after-ms'] = reply.retryAfterMs;
      if (typeof reply.body === 'string') {
        res
          .writeHead(reply.status, { ...headers, 'content-type': 'text/plain; charset=utf-8' })
          .end(reply.body);
        return;
      }
      writeJson(res, reply.status, reply.body ?? statusErrorBody(reply.status), headers);
      return;
    }
    case 'redirect':
      res.writeHead(reply.status, { location: reply.location }).end();
      return;
    case 'stall':
      if (reply.phase === 'body') {
        res.writeHead(200, SSE_HEADERS);
        res.write(sseEvent(completionChunks(record, 2)[0]!));
      }
      return;
    case 'reset':
      cutMidBody(
        res,
        completionChunks(record, (reply.afterChunks ?? 1) + 1).slice(0, reply.afterChunks ?? 1),
      );
      return;
    case 'endless':
      streamEndlessly(res, completionChunks(record, 2)[0]!, reply.delayMs ?? 100);
      return;
    case 'raw':
      reply.handler(req, res);
      return;
  }
}

function answerByDefault(
  record: RecordedRequest,
  res: ServerResponse,
  expectedKey: string | undefined,
): void {
  const authorization = record.headers.authorization;
  if (
    expectedKey !== undefined &&
    !(authorization?.length === 1 && authorization[0] === `Bearer ${expectedKey}`)
  ) {
    writeJson(res, 401, authErrorBody('invalid_api_key', record));
    return;
  }
  const route = `${record.method} ${record.path}`;
  const body = parseJson(record.body);
  const model = typeof body.model === 'string' ? body.model : DEFAULT_MODEL;
  const created = Math.floor(Date.now() / 1000);
  if (route === 'GET /v1/models') {
    writeJson(res, 200, { object: 'list', data: MODEL_IDS.map(modelObject) });
  } else if (record.method === 'GET' && record.path.startsWith('/v1/models/')) {
    writeJson(res, 200, modelObject(decodeURIComponent(record.path.slice('/v1/models/'.length))));
  } else if (route === 'POST /v1/chat/completions') {
    if (body.stream === true) {
      streamEvents(res, completionStream(record, 3), 0);
      return;
    }
    const content = REPLY_TEXT.join('');
    writeJson(res, 200, {
      id: `chatcmpl-${randomString(ALPHANUMERIC, 29)}`,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: REPLY_TEXT.length, total_tokens: 9 + REPLY_TEXT.length },
    });
  } else if (route === 'POST /v1/responses') {
    writeJson(res, 200, {
      id: `resp_${randomString(HEX, 48)}`,
      object: 'response',
      created_at: created,
      status: 'completed',
      model,
      output: [
        {
          type: 'message',
          id: `msg_${randomString(HEX, 48)}`,
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: REPLY_TEXT.join(''), annotations: [] }],
        },
      ],
      usage: { input_tokens: 9, output_tokens: REPLY_TEXT.length, total_tokens: 9 + REPLY_TEXT.length },
    });
  } else if (route === 'POST /v1/embeddings') {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    writeJson(res, 200, {
      object: 'list',
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.0023, -0.0094, 0.0151] })),
      model: typeof body.model === 'string' ? body.model : 'text-embedding-3-small',
      usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
    });
  } else if (route === 'POST /v1/moderations') {
    writeJson(res, 200, {
      id: `modr-${randomString(ALPHANUMERIC, 29)}`,
      model: 'omni-moderation-latest',
      results: [{ flagged: false, categories: {}, category_scores: {} }],
    });
  } else if (route === 'POST /v1/realtime/client_secrets') {
    const expiresAfter = body.expires_after as { seconds?: unknown } | undefined;
    const seconds = typeof expiresAfter?.seconds === 'number' ? expiresAfter.seconds : 600;
    writeJson(res, 200, { value: fakeKey('ephemeral'), expires_at: created + seconds });
  } else {
    writeJson(res, 404, openAiError(`Invalid URL (${route})`, 'invalid_request_error', null));
  }
}

function modelObject(id: string): unknown {
  return {
    id,
    object: 'model',
    created: MODEL_CREATED,
    owned_by: id.startsWith('gpt-') ? 'openai' : 'system',
  };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function openAiError(message: string, type: string, code: string | null): unknown {
  return { error: { message, type, param: null, code } };
}

function statusErrorBody(status: number): unknown {
  const known = STATUS_ERRORS[status];
  return known === undefined
    ? openAiError(`Upstream answered ${status}.`, 'server_error', null)
    : openAiError(known.message, known.type, known.code);
}

function authErrorBody(code: AuthErrorCode, record: RecordedRequest): unknown {
  if (code === 'missing_scopes')
    return openAiError(AUTH_ERROR_MESSAGES.missing_scopes, 'invalid_request_error', null);
  if (code !== 'invalid_api_key')
    return openAiError(AUTH_ERROR_MESSAGES[code], 'invalid_request_error', code);
  const sent = record.headers.authorization?.[0]?.replace(/^bearer\s+/i, '').trim() ?? '';
  if (sent === '') return openAiError(MISSING_KEY_MESSAGE, 'invalid_request_error', null);
  const message = `Incorrect API key provided: ${maskLikeOpenAi(sent)}. You can find your API key at https://platform.openai.com/account/api-keys.`;
  return openAiError(message, 'invalid_request_error', 'invalid_api_key');
}

// OpenAI's own mask keeps the length and echoes short values in full; the echo is part of what the
// project has to hide from browsers, so the stub reproduces it.
function maskLikeOpenAi(key: string): string {
  if (key.length <= 12) return key;
  return `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

function completionChunks(record: RecordedRequest, count: number): string[] {
  const body = parseJson(record.body);
  const model = typeof body.model === 'string' ? body.model : DEFAULT_MODEL;
  const id = `chatcmpl-${randomString(ALPHANUMERIC, 29)}`;
  const created = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, index) => {
    const last = index === count - 1;
    const delta = {
      ...(index === 0 ? { role: 'assistant' } : {}),
      ...(last ? {} : { content: REPLY_TEXT[index % REPLY_TEXT.length] }),
    };
    return JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: last ? 'stop' : null }],
    });
  });
}

function completionStream(record: RecordedRequest, count: number): string[] {
  return [...completionChunks(record, count), '[DONE]'];
}

function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function sseEvent(payload: string): string {
  return `${payload
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

function streamEvents(res: ServerResponse, payloads: readonly string[], delayMs: number): void {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  void (async () => {
    for (const [index, payload] of payloads.entries()) {
      if (index > 0 && delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (res.destroyed) return;
      res.write(sseEvent(payload));
    }
    res.end();
  })();
}

function cutMidBody(res: ServerResponse, payloads: readonly string[]): void {
  cutByServer.add(res);
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  for (const payload of payloads) res.write(sseEvent(payload));
  const socket = res.socket;
  if (socket === null) {
    res.destroy();
    return;
  }
  // end() flushes what was written before the FIN, so the client gets the chunks and then a body that
  // stops short of the chunked terminator; destroy() alone could drop them.
  socket.once('finish', () => socket.destroy());
  socket.end();
}

function streamEndlessly(res: ServerResponse, payload: string, delayMs: number): void {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  const event = sseEvent(payload);
  res.write(event);
  const timer = setInterval(() => {
    // A client that stopped reading gets no more: the stub must not buffer without bound either.
    if (!res.destroyed && !res.writableNeedDrain) res.write(event);
  }, delayMs);
  res.once('close', () => clearInterval(timer));
}
