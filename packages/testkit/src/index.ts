/**
 * Private test kit of the project: fake credentials that look real, the secret scanners' key patterns, a
 * leak assertion over everything a test captured, and a stub OpenAI API on loopback. Independent of
 * `@auth/core` on purpose, since it is what checks core. Web standards plus `node:http`, `node:net` and
 * `node:util` only, so the same code runs under vitest, `deno test` and `bun test`.
 *
 * @module
 */

/** Fails a test when key material shows up anywhere in captured output or requests. */
export { assertNoLeak, type Captured } from './assert-no-leak.ts';
/** `expect` built on `node:assert`, the same in vitest, `deno test` and `bun test`; never prints compared values. */
export { expectValue, type Matchers } from './expect-value.ts';
/** Random fake credentials and IDs, shaped exactly like OpenAI's and never stored in the repository. */
export { type FakeKeyKind, fakeKey, fakeOrgId, fakeProjectId } from './fake-key.ts';
/** gitleaks' and trufflehog's OpenAI key patterns, and a search for every match of them. */
export { findKeyShapes, KEY_PATTERNS } from './key-patterns.ts';

/** The conformance suite every adapter runs natively in its runtime. */
export {
  type ConformanceHost,
  type ConformanceLib,
  type ConformanceTarget,
  runConformance,
} from './run-conformance.ts';

/** The relay cases every adapter's `serveRelay` runs natively, over real sockets. */
export {
  type RelayConformanceTarget,
  type RelayServerLike,
  runRelayConformance,
} from './run-relay-conformance.ts';

/** Raw HTTP/1.1 over `node:net`, for framings `fetch` and `node:http` refuse to send, and a reader for the answer. */
export {
  openRawHttp,
  parseRawResponse,
  type RawHttpConnection,
  type RawHttpResponse,
  rawHeaderValues,
  sendRawHttp,
} from './send-raw-http.ts';

/** A stub OpenAI API server on 127.0.0.1 that records requests and answers scripted replies. */
export {
  authErrorCodes,
  type RecordedRequest,
  type Reply,
  startUpstream,
  type Upstream,
  type UpstreamOptions,
  type UpstreamStats,
} from './start-upstream.ts';
