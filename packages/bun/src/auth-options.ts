import type { CredentialSource, KeyKind, ProviderLoad } from '@auth/core';

/**
 * Where credentials come from, the same in every adapter. Explicit values win; `null` means "unset, and look
 * no further" for that field; then `OPENAI_*` variables of `Bun.env`, then `*_FILE` secret files, then
 * `provider`.
 */
export interface AuthOptions {
  /** The API key. Prefer the environment or a secret file; a literal here ends up in your source code. */
  apiKey?: string | null | undefined;
  /** `OpenAI-Organization`; `null` stops `OPENAI_ORG_ID` from being used. */
  organization?: string | null | undefined;
  /** `OpenAI-Project`; `null` stops `OPENAI_PROJECT_ID` from being used. */
  project?: string | null | undefined;
  /** The API root, `https://api.openai.com/v1` by default; `http` only for loopback hosts. */
  baseURL?: string | null | undefined;
  /**
   * Asked last, for the key only: a function is wrapped with `fromProvider(load)` (cached, single-flight,
   * bounded); pass `fromProvider(load, { fields })` or `fromCommand(...)` for more control.
   */
  provider?: ProviderLoad | CredentialSource | undefined;
  /** Replaces the whole default chain (explicit values, env, secret files, provider): core's own resolver. */
  sources?: readonly CredentialSource[] | undefined;
  /** Let a secret key be used in a browser page or worker. Only for demos on your own machine. */
  dangerouslyAllowBrowser?: boolean | undefined;
  /** Refuse keys of other kinds with `key_kind_not_allowed`. */
  allowedKeyKinds?: readonly KeyKind[] | undefined;
  /** Reload a provider's key this long before it expires, in the background. Default 30 s. */
  refreshAheadMs?: number | undefined;
}
