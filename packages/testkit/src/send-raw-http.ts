import { connect, type Socket } from 'node:net';

/** A TCP connection to a test server that records everything the server sends back. */
export interface RawHttpConnection {
  /** Everything received so far, one char per byte (latin1), so framing bytes stay exactly as sent. */
  received(): string;
  /** True once the server ended its side (FIN), reset the connection, or it is otherwise gone. */
  ended(): boolean;
  /** Resolves `true` when the server ended its side or the connection closed, `false` after `ms`. */
  waitForEnd(ms: number): Promise<boolean>;
  /** Writes and resolves once the bytes are handed to the OS; `false` if the connection is gone. */
  write(bytes: string): Promise<boolean>;
  /** Destroys the socket and resolves once it is closed (Deno's sanitizers count a half-closed socket). */
  close(): Promise<void>;
}

/** One HTTP/1.1 response as read off the wire by `parseRawResponse`. */
export interface RawHttpResponse {
  /** The first status code on the wire; 0 when nothing parseable came back. */
  status: number;
  /** How many `HTTP/1.x NNN` status lines arrived: more than one means a second response was sent. */
  statusLines: number;
  /** Header lines of the first response, names lower-cased, in order, duplicates kept. */
  headers: [string, string][];
  /** Body of the first response, de-chunked when it came chunked; `undefined` when the framing is broken. */
  body: string | undefined;
}

/**
 * Opens a raw TCP connection to `origin`, for requests that `fetch` and `node:http` refuse to send (two
 * framings at once, obs-fold, a second request hidden in a body). Uses only `node:net`, which Deno and Bun
 * provide, and no `Buffer`, which Deno does not expose globally. Always `close()` it.
 */
export async function openRawHttp(origin: string): Promise<RawHttpConnection> {
  const { hostname, port } = new URL(origin);
  // allowHalfOpen: a hostile client keeps its side open after the server's FIN; the test sees the FIN anyway.
  const socket: Socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
  let text = '';
  let ended = false;
  let closed = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  socket.on('data', (chunk: Uint8Array) => {
    for (const byte of chunk) text += String.fromCharCode(byte);
    wake();
  });
  const end = () => {
    ended = true;
    wake();
  };
  socket.on('end', end);
  socket.on('close', () => {
    closed = true;
    end();
  });
  // A reset after (or instead of) an answer is one of the outcomes the framing cases accept.
  socket.on('error', end);
  const waitForEnd = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (ended) return resolve(true);
      const finish = (value: boolean) => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(value);
      };
      const check = () => {
        if (ended) finish(true);
      };
      const timer = setTimeout(() => finish(ended), ms);
      waiters.add(check);
    });
  return {
    received: () => text,
    ended: () => ended,
    waitForEnd,
    write: (bytes) =>
      new Promise<boolean>((resolve) => {
        if (socket.destroyed || !socket.writable) return resolve(false);
        socket.write(bytes, 'latin1', (error) => resolve(error == null));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}

/**
 * Writes `bytes` on a fresh connection, waits up to `ms` for the server to end it, and closes it either way.
 *
 * @example
 * const { ended, text } = await sendRawHttp(url, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2000);
 */
export async function sendRawHttp(
  origin: string,
  bytes: string,
  ms: number,
): Promise<{ text: string; ended: boolean }> {
  const connection = await openRawHttp(origin);
  try {
    await connection.write(bytes);
    const ended = await connection.waitForEnd(ms);
    return { text: connection.received(), ended };
  } finally {
    await connection.close();
  }
}

/** Reads the first response out of raw bytes: status, header lines and the (de-chunked) body. */
export function parseRawResponse(text: string): RawHttpResponse {
  const statusLines = (text.match(/(?:^|\r?\n)HTTP\/1\.[01] \d{3}\b/g) ?? []).length;
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? text : text.slice(0, headEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})\b/.exec(statusLine)?.[1] ?? 0);
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const rest = headEnd === -1 ? '' : text.slice(headEnd + 4);
  const chunked = headers.some(
    ([name, value]) => name === 'transfer-encoding' && /(?:^|,)\s*chunked\s*$/i.test(value),
  );
  const length = headers.find(([name]) => name === 'content-length')?.[1];
  let body: string | undefined;
  if (chunked) body = dechunk(rest);
  else if (length !== undefined && /^\d+$/.test(length)) body = rest.slice(0, Number(length));
  else body = rest;
  return { status, statusLines, headers, body };
}

/** Every value of header `name` in a parsed response (`name` lower-case). */
export function rawHeaderValues(response: RawHttpResponse, name: string): string[] {
  return response.headers.filter(([header]) => header === name).map(([, value]) => value);
}

// Strict chunked decoding: anything but `hex[;ext]CRLF data CRLF … 0CRLF…CRLF` is broken framing.
function dechunk(text: string): string | undefined {
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = /^([0-9a-fA-F]+)(?:;.*)?$/.exec(text.slice(at, lineEnd))?.[1];
    if (size === undefined) return undefined;
    const length = Number.parseInt(size, 16);
    at = lineEnd + 2;
    if (length === 0) return body;
    if (text.slice(at + length, at + length + 2) !== '\r\n') return undefined;
    body += text.slice(at, at + length);
    at += length + 2;
  }
}
