import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId } from '@auth/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthError } from './auth-error.ts';
import { buildAuthHeaders } from './build-auth-headers.ts';

function caught(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    expect(AuthError.is(error)).toBe(true);
    return error as AuthError;
  }
  throw new Error('expected an AuthError');
}

describe('buildAuthHeaders', () => {
  it('builds exactly the three headers, optional ones absent when unset (A8 shape)', () => {
    const apiKey = fakeKey('project');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    expect(buildAuthHeaders({ apiKey, organization, project })).toEqual({
      Authorization: `Bearer ${apiKey}`,
      'OpenAI-Organization': organization,
      'OpenAI-Project': project,
    });
    const bare = buildAuthHeaders({ apiKey, organization: null, project: undefined });
    expect(Object.keys(bare)).toEqual(['Authorization']);
    expect(Object.keys(buildAuthHeaders({ apiKey, organization: '', project: '' }))).toEqual([
      'Authorization',
    ]);
  });

  it('B11: a key with CRLF, "\\n X-Evil: 1" or NUL mid-string is rejected before Headers, error without the key', () => {
    const key = fakeKey('project');
    const errors: AuthError[] = [];
    for (const bad of [
      `${key.slice(0, 30)}\r\n${key.slice(30)}`,
      `${key}\n X-Evil: 1`,
      `${key.slice(0, 9)}\0${key.slice(9)}`,
    ]) {
      const error = caught(() => buildAuthHeaders({ apiKey: bad }));
      expect(error.code).toBe('invalid_credentials');
      expect(error.message).toMatch(/line break|NUL/);
      errors.push(error);
    }
    assertNoLeak({ errors }, [key]);
  });

  it('B12: org/project with CRLF, comma, space or non-Latin-1 are rejected; unknown but valid formats pass', () => {
    const apiKey = fakeKey('project');
    for (const bad of ['org-a\r\nX: y', 'org-a,org-b', 'org- a', 'org-中', 'org-\u00e9']) {
      expect(caught(() => buildAuthHeaders({ apiKey, organization: bad })).code).toBe('invalid_credentials');
      expect(caught(() => buildAuthHeaders({ apiKey, project: bad.replace('org-', 'proj_') })).code).toBe(
        'invalid_credentials',
      );
    }
    for (const good of ['org-abc', 'proj_abc', 'team:42', 'future.prefix-Z9']) {
      expect(buildAuthHeaders({ apiKey, organization: good, project: good })['OpenAI-Project']).toBe(good);
    }
  });

  it('B14: objects with toString / Symbol.toPrimitive returning CRLF, and arrays of them, are rejected, never coerced', () => {
    const key = fakeKey('project');
    const sneaky: unknown[] = [
      { toString: () => `${key}\r\nX-Evil: 1` },
      { [Symbol.toPrimitive]: () => `${key}\r\nX-Evil: 1` },
      [{ toString: () => `${key}\r\nX-Evil: 1` }],
      new String(key),
    ];
    const errors = sneaky.map((value) => caught(() => buildAuthHeaders({ apiKey: value as never })));
    for (const error of errors) expect(error.message).toMatch(/must be a string/);
    const orgErrors = sneaky.map((value) =>
      caught(() => buildAuthHeaders({ apiKey: key, organization: value as never })),
    );
    assertNoLeak({ errors: [...errors, ...orgErrors] }, [key]);
  });

  it('property: no string with CR, LF or NUL ever reaches a Headers object or an error message', () => {
    const controlled = fc
      .tuple(
        fc.string({ maxLength: 60 }),
        fc.constantFrom('\r', '\n', '\0', '\r\n'),
        fc.string({ maxLength: 60 }),
      )
      .map(([a, bad, b]) => `sk-proj-${a}${bad}${b}`);
    fc.assert(
      fc.property(controlled, fc.constantFrom('apiKey', 'organization', 'project'), (value, field) => {
        const input = { apiKey: fakeKey('project'), [field]: value } as { apiKey: string };
        let headers: Record<string, string> | undefined;
        try {
          headers = buildAuthHeaders(input) as unknown as Record<string, string>;
        } catch (error) {
          expect(AuthError.is(error)).toBe(true);
          const text = `${(error as Error).message}${(error as Error).stack}${JSON.stringify(error)}`;
          expect(text).not.toContain('\0');
          expect(text).not.toContain(value);
          return;
        }
        // Reaching here means the value was accepted: then it must be header-safe.
        new Headers(headers);
        for (const header of Object.values(headers)) expect(header).not.toMatch(/[\r\n\0]/);
        throw new Error('a value with CR/LF/NUL was accepted');
      }),
      { numRuns: 1000 },
    );
  });
});
