/**
 * The app's own sign-in: a server-side session store plus a signed, HttpOnly cookie that names a session.
 * The relay trusts nothing but this check, so it is the one thing between a stranger and the server's key.
 */

/** The cookie's name. No `__Host-` prefix: that needs `Secure`, and the demo is served over plain http. */
export const sessionCookieName = 'chat_session';

/** A signed-in demo user as the relay sees it. */
export interface SessionPrincipal {
  readonly id: string;
}

/** Options of {@link createSessions}. */
export interface SessionsOptions {
  /** How long a session lives after sign-in. Default one hour. */
  ttlMs?: number;
  /** Most sessions kept at once; the oldest goes first, so a sign-in loop cannot grow memory. Default 10 000. */
  maxSessions?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** The session store of one process. */
export interface Sessions {
  /** Starts a session for a new demo user; resolves to its principal and the `Set-Cookie` value. */
  signIn(): Promise<{ principal: SessionPrincipal; setCookie: string }>;
  /** The principal of the request's session cookie, or null; never throws, whatever the cookie holds. */
  check(cookieHeader: string | null): Promise<SessionPrincipal | null>;
  /** Ends the request's session server-side (a copied cookie stops working too); resolves to the clearing `Set-Cookie`. */
  signOut(cookieHeader: string | null): Promise<string>;
}

interface Session {
  readonly principal: SessionPrincipal;
  readonly expiresAt: number;
}

const encoder = new TextEncoder();
// A session id is 32 random bytes in base64url (43 characters) and a signature is 32 bytes (43 characters):
// anything much longer is not ours, and is refused before any work is done on it.
const maxCookieValueLength = 128;
const idPattern = /^[A-Za-z0-9_-]{43}$/;

/**
 * Creates the session store. The cookie is `<id>.<HMAC-SHA-256(id)>` under a random key made for this process,
 * so a restart signs everyone out and nobody can mint a cookie without the key; the id must also be in the
 * store, so signing out (or expiry) invalidates the cookie even if a copy of it survives in a browser.
 *
 * @example
 * const sessions = createSessions();
 * const { setCookie } = await sessions.signIn();
 * const principal = await sessions.check(request.headers.get('cookie')); // { id } or null
 */
export function createSessions(options: SessionsOptions = {}): Sessions {
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const maxSessions = options.maxSessions ?? 10_000;
  const now = options.now ?? Date.now;
  const store = new Map<string, Session>();
  const key = crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);

  const sign = async (id: string): Promise<string> =>
    toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', await key, encoder.encode(id))));

  /** The session id of a well-formed, correctly signed cookie value, else undefined. */
  const verify = async (value: string): Promise<string | undefined> => {
    if (value.length > maxCookieValueLength) return undefined;
    const dot = value.indexOf('.');
    if (dot < 0) return undefined;
    const id = value.slice(0, dot);
    if (!idPattern.test(id)) return undefined;
    // The expected signature is compared in its encoded form: a non-canonical base64url spelling of the same
    // bytes is a different string and fails, rather than being decoded leniently into a match.
    const expected = await sign(id);
    return constantTimeEqual(encoder.encode(value.slice(dot + 1)), encoder.encode(expected)) ? id : undefined;
  };

  const lookUp = async (cookieHeader: string | null): Promise<string | undefined> => {
    const value = readCookie(cookieHeader, sessionCookieName);
    if (value === undefined) return undefined;
    const id = await verify(value);
    if (id === undefined) return undefined;
    const session = store.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= now()) {
      store.delete(id);
      return undefined;
    }
    return id;
  };

  return {
    async signIn() {
      const id = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
      // The user name is random on its own: it shows on the page and in logs, so it must not reveal the id.
      const name = Array.from(crypto.getRandomValues(new Uint8Array(4)), (byte) =>
        byte.toString(16).padStart(2, '0'),
      );
      const principal = { id: `demo-${name.join('')}` };
      while (store.size >= maxSessions) {
        const oldest = store.keys().next().value;
        if (oldest === undefined) break;
        store.delete(oldest);
      }
      store.set(id, { principal, expiresAt: now() + ttlMs });
      const maxAge = Math.floor(ttlMs / 1000);
      return {
        principal,
        setCookie: `${sessionCookieName}=${id}.${await sign(id)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`,
      };
    },
    async check(cookieHeader) {
      try {
        const id = await lookUp(cookieHeader);
        return id === undefined ? null : (store.get(id)?.principal ?? null);
      } catch {
        return null;
      }
    },
    async signOut(cookieHeader) {
      try {
        const id = await lookUp(cookieHeader);
        if (id !== undefined) store.delete(id);
      } catch {}
      return `${sessionCookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
    },
  };
}

/**
 * Compares two byte strings in time that depends only on their lengths, never on where they differ. Unlike
 * `crypto.timingSafeEqual` it does not throw on a length mismatch (that would turn a short cookie into a 500).
 *
 * @example
 * constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1])); // false
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/** The value of the first cookie called `name` in a `Cookie` header. */
function readCookie(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
