import { describe, expect, it } from 'vitest';
import { constantTimeEqual, createSessions, sessionCookieName } from './session.ts';

/** The `Cookie` header a browser would send back for a `Set-Cookie` value. */
function cookieOf(setCookie: string): string {
  return setCookie.split(';', 1)[0]!;
}

function sessionValueOf(setCookie: string): string {
  return cookieOf(setCookie).slice(sessionCookieName.length + 1);
}

describe('sessions', () => {
  it('sign-in sets an HttpOnly, SameSite=Strict, Path=/ cookie that checks out', async () => {
    const sessions = createSessions();
    const { principal, setCookie } = await sessions.signIn();
    expect(setCookie).toMatch(/^chat_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('; HttpOnly');
    expect(setCookie).toContain('; SameSite=Strict');
    expect(setCookie).toContain('; Path=/');
    expect(await sessions.check(cookieOf(setCookie))).toEqual(principal);
    expect(await sessions.check(`other=1; ${cookieOf(setCookie)}; more=2`)).toEqual(principal);
    // The user name shown on the page is random on its own (hex), not a piece of the base64url session id.
    expect(principal.id).toMatch(/^demo-[0-9a-f]{8}$/);
  });

  it('D28: bit flip, truncation, wrong length, non-canonical base64url, junk → null, never a throw', async () => {
    const sessions = createSessions();
    const { setCookie } = await sessions.signIn();
    const value = sessionValueOf(setCookie);
    const [id, signature] = value.split('.') as [string, string];
    const flip = (text: string, index: number) =>
      text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);
    // The last character of a 43-character base64url string carries 2 padding bits: changing them gives
    // another spelling of the same bytes, which a lenient decoder would accept.
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = alphabet[(alphabet.indexOf(last) & ~3) | ((alphabet.indexOf(last) + 1) & 3)]!;
    const forged = [
      `${id}.${flip(signature, 5)}`,
      `${flip(id, 0)}.${signature}`,
      `${id}.${signature.slice(0, -1)}`,
      `${id}.${signature}A`,
      `${id}.`,
      `${id}`,
      `.${signature}`,
      `${id}.${signature.slice(0, -1)}${sameBytes}`,
      `${id}.${signature}=`,
      `${id}.${signature}.${signature}`,
      `${id}.${'A'.repeat(5000)}`,
      '',
      '%00',
    ];
    for (const bad of forged) {
      expect(await sessions.check(`${sessionCookieName}=${bad}`)).toBeNull();
    }
    expect(await sessions.check(null)).toBeNull();
    expect(await sessions.check('')).toBeNull();
    expect(await sessions.check('chat_session')).toBeNull();
  });

  it('a cookie signed by another process (another random key) is refused', async () => {
    const { setCookie } = await createSessions().signIn();
    expect(await createSessions().check(cookieOf(setCookie))).toBeNull();
  });

  it('sign-out ends the session server-side: a copy of the cookie no longer works', async () => {
    const sessions = createSessions();
    const { setCookie } = await sessions.signIn();
    const cleared = await sessions.signOut(cookieOf(setCookie));
    expect(cleared).toMatch(/^chat_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    expect(await sessions.check(cookieOf(setCookie))).toBeNull();
    // Signing out without a session is harmless.
    expect(await sessions.signOut(null)).toBe(cleared);
  });

  it('sessions expire, and the store stays bounded', async () => {
    let now = 1_000;
    const sessions = createSessions({ ttlMs: 100, maxSessions: 2, now: () => now });
    const first = await sessions.signIn();
    now += 99;
    expect(await sessions.check(cookieOf(first.setCookie))).not.toBeNull();
    now += 1;
    expect(await sessions.check(cookieOf(first.setCookie))).toBeNull();
    const a = await sessions.signIn();
    const b = await sessions.signIn();
    const c = await sessions.signIn();
    expect(await sessions.check(cookieOf(a.setCookie))).toBeNull();
    expect(await sessions.check(cookieOf(b.setCookie))).not.toBeNull();
    expect(await sessions.check(cookieOf(c.setCookie))).not.toBeNull();
  });

  it('constantTimeEqual: equal, different, and different lengths (no throw)', () => {
    const bytes = (...values: number[]) => new Uint8Array(values);
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 3))).toBe(true);
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 4))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2), bytes(1, 2, 0))).toBe(false);
    expect(constantTimeEqual(bytes(), bytes(0))).toBe(false);
    expect(constantTimeEqual(bytes(), bytes())).toBe(true);
  });
});
