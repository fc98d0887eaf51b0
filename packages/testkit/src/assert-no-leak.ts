import { inspect } from 'node:util';
import { findKeyShapes } from './key-patterns.ts';
import type { RecordedRequest } from './start-upstream.ts';

/** Everything a test captured that must hold no key material. */
export interface Captured {
  /** Response bodies already read (strings or parsed), or `Response` objects (status text, URL, headers). */
  responses?: readonly unknown[];
  /** Log lines, or the argument lists given to a logger. */
  logs?: readonly unknown[];
  /** Thrown values, scanned with their `cause` chain and own properties. */
  errors?: readonly unknown[];
  /** Any other objects: configs, clients, credentials. */
  values?: readonly unknown[];
  /** Requests the stub upstream received: one exact `Authorization: Bearer <secret>` is allowed there. */
  upstreamRequests?: readonly RecordedRequest[];
  /** Requests that reached any other origin: nothing is allowed. */
  foreignRequests?: readonly RecordedRequest[];
}

interface Rendering {
  readonly where: string;
  readonly text: string;
}

type Collect = (where: string, text: string | undefined) => void;

const INSPECT_OPTIONS = { depth: 10, showHidden: true } as const;

/** The ways any value ends up printed. */
const PRINTERS: readonly (readonly [string, (value: unknown) => string | undefined])[] = [
  ['String', (value) => String(value)],
  ['template', (value) => `${value as string}`],
  ['JSON', (value) => JSON.stringify(value)],
  ['inspect', (value) => inspect(value, INSPECT_OPTIONS)],
  // A clone drops prototypes, getters and custom inspect hooks, so it can show what those hid.
  ['structuredClone', (value) => inspect(structuredClone(value), INSPECT_OPTIONS)],
];

/**
 * Throws if any of `secrets`, or anything shaped like an OpenAI key, appears in the captured material,
 * however it would be printed: as is, `String`, template, JSON, `util.inspect` (hidden properties too) and
 * `structuredClone`. The error says where and shows only masked forms.
 *
 * @example
 * ```ts
 * assertNoLeak({ logs, errors: [error], upstreamRequests: upstream.requests }, [key]);
 * ```
 */
export function assertNoLeak(captured: Captured, secrets: readonly string[]): void {
  // An empty secret would be found everywhere: fail loudly rather than scan for nothing.
  if (secrets.some((secret) => typeof secret !== 'string' || secret.length === 0)) {
    throw new TypeError('assertNoLeak: every secret must be a non-empty string');
  }
  const renderings: Rendering[] = [];
  const collect: Collect = (where, text) => {
    if (text !== undefined) renderings.push({ where, text });
  };
  for (const [i, value] of (captured.responses ?? []).entries()) {
    renderValue(value, `responses[${i}]`, collect);
  }
  for (const [i, value] of (captured.logs ?? []).entries()) {
    renderValue(value, `logs[${i}]`, collect);
  }
  for (const [i, error] of (captured.errors ?? []).entries()) {
    renderError(error, `errors[${i}]`, collect, new Set());
  }
  for (const [i, value] of (captured.values ?? []).entries()) {
    renderValue(value, `values[${i}]`, collect);
  }
  for (const [i, request] of (captured.upstreamRequests ?? []).entries()) {
    renderRequest(request, `upstreamRequests[${i}]`, collect, secrets);
  }
  for (const [i, request] of (captured.foreignRequests ?? []).entries()) {
    renderRequest(request, `foreignRequests[${i}]`, collect, []);
  }

  const findings = new Set<string>();
  for (const { where, text } of renderings) {
    const found = secrets.filter((secret) => text.includes(secret));
    for (const secret of found) {
      findings.add(`${where}: secret #${secrets.indexOf(secret) + 1} ${mask(secret)}`);
    }
    for (const shape of findKeyShapes(text)) {
      if (!found.some((secret) => shape.includes(secret) || secret.includes(shape))) {
        findings.add(`${where}: key-shaped string ${mask(shape)}`);
      }
    }
  }
  if (findings.size === 0) return;
  const message = `assertNoLeak: key material found in ${findings.size} place(s):\n- ${[...findings].join('\n- ')}`;
  throw new Error(redact(message, secrets));
}

function renderValue(value: unknown, where: string, collect: Collect): void {
  if (typeof value === 'string') {
    collect(where, value);
    return;
  }
  if (value instanceof Error) {
    renderError(value, where, collect, new Set());
    return;
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    collect(`${where} (bytes)`, new TextDecoder().decode(value));
  }
  if (typeof Response !== 'undefined' && value instanceof Response) {
    collect(`${where} (status)`, `${value.status} ${value.statusText}`);
    collect(`${where} (url)`, value.url);
    renderHeaders(value.headers, where, collect);
  }
  if (typeof Request !== 'undefined' && value instanceof Request) {
    collect(`${where} (request line)`, `${value.method} ${value.url}`);
    renderHeaders(value.headers, where, collect);
  }
  if (typeof Headers !== 'undefined' && value instanceof Headers) renderHeaders(value, where, collect);
  renderPrinted(value, where, collect);
}

function renderPrinted(value: unknown, where: string, collect: Collect): void {
  for (const [name, print] of PRINTERS)
    collect(
      `${where} (${name})`,
      attempt(() => print(value)),
    );
}

function renderHeaders(headers: Headers, where: string, collect: Collect): void {
  attempt(() => {
    for (const [name, value] of headers) collect(`${where} (header)`, `${name}: ${value}`);
    return undefined;
  });
}

function renderError(error: unknown, where: string, collect: Collect, seen: Set<object>): void {
  if (typeof error !== 'object' || error === null) {
    renderValue(error, where, collect);
    return;
  }
  if (seen.has(error)) return;
  seen.add(error);
  const fields = error as { message?: unknown; stack?: unknown; cause?: unknown; errors?: unknown };
  for (const field of ['message', 'stack'] as const) {
    collect(
      `${where} (${field})`,
      attempt(() => asString(fields[field])),
    );
  }
  renderPrinted(error, where, collect);
  const cause = attempt(() => fields.cause);
  if (cause !== undefined) renderError(cause, `${where}.cause`, collect, seen);
  const nested = attempt(() => fields.errors);
  if (Array.isArray(nested)) {
    for (const [i, inner] of nested.entries()) renderError(inner, `${where}.errors[${i}]`, collect, seen);
  }
  for (const key of attempt(() => Object.keys(error)) ?? []) {
    if (key === 'cause' || key === 'errors') continue;
    const property = attempt(() => (error as Record<string, unknown>)[key]);
    if (isErrorLike(property)) renderError(property, `${where}.${key}`, collect, seen);
    else renderValue(property, `${where}.${key}`, collect);
  }
}

function renderRequest(
  request: RecordedRequest,
  where: string,
  collect: Collect,
  allowedSecrets: readonly string[],
): void {
  collect(`${where} (request line)`, `${request.method} ${request.target}`);
  if (!request.target.includes(request.path)) collect(`${where} (path)`, request.path);
  const pairs: [string, string][] = [];
  if (request.rawHeaders.length > 0) {
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      pairs.push([request.rawHeaders[i] ?? '', request.rawHeaders[i + 1] ?? '']);
    }
  } else {
    for (const [name, values] of Object.entries(request.headers))
      for (const value of values) pairs.push([name, value]);
  }
  const authorizations = pairs.filter(([name]) => name.toLowerCase() === 'authorization');
  // The one place a key belongs: a single, exactly formed Authorization header. Anything else (a second
  // header, a lowercase scheme, extra spaces) is a client bug that can echo the key somewhere.
  const allowed =
    authorizations.length === 1 &&
    allowedSecrets.some((secret) => authorizations[0]?.[1] === `Bearer ${secret}`)
      ? authorizations[0]
      : undefined;
  pairs.forEach((pair, i) => {
    if (pair !== allowed) collect(`${where} (header #${i + 1})`, `${pair[0]}: ${pair[1]}`);
  });
  collect(`${where} (body)`, request.body);
}

function isErrorLike(value: unknown): value is object {
  return (
    value instanceof Error ||
    (typeof value === 'object' && value !== null && 'message' in value && 'stack' in value)
  );
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

// Renderings run user code (toString, getters, inspect hooks, clones of uncloneable values); a throw
// there is not a leak, so it just yields nothing.
function attempt<T>(render: () => T): T | undefined {
  try {
    return render();
  } catch {
    return undefined;
  }
}

function mask(value: string): string {
  return value.length >= 20 ? `${value.slice(0, 6)}…${value.slice(-4)}` : `[${value.length} characters]`;
}

// Locations are built from captured names (header names, property keys), which could hold a secret too.
function redact(message: string, secrets: readonly string[]): string {
  let result = message;
  for (const secret of [...secrets, ...findKeyShapes(message)])
    result = result.split(secret).join(mask(secret));
  return result;
}
