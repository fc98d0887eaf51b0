import { type FakeKeyKind, fakeKey, findKeyShapes } from '@auth/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact-secrets.ts';

const kinds: FakeKeyKind[] = ['project', 'project_legacy', 'service_account', 'admin', 'user', 'ephemeral'];

describe('redactSecrets', () => {
  it('masks every key kind in running text and leaves the rest alone', () => {
    for (const kind of kinds) {
      const key = fakeKey(kind);
      const out = redactSecrets(`Incorrect API key provided: ${key}. Retry later.`);
      expect(out).not.toContain(key);
      expect(out).toContain('Incorrect API key provided: ');
      expect(out).toContain(key.slice(-4));
      expect(out.endsWith('. Retry later.')).toBe(true);
    }
  });

  it('masks exact secrets of any shape when given them', () => {
    const odd = 'custom-gateway-token-0123456789';
    expect(redactSecrets(`token=${odd}`, [odd])).not.toContain(odd);
  });

  it('is idempotent: a mask is not redacted again', () => {
    const once = redactSecrets(`a ${fakeKey('project')} b`);
    expect(redactSecrets(once)).toBe(once);
  });

  it('property: a key embedded anywhere in random text never survives, and no key shape remains', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.string({ maxLength: 80 }),
        fc.string({ maxLength: 80 }),
        fc.constantFrom('', ' ', '"', "'", '\n', '=', ':', '/', '(', '\u00e9', '-', '_', 'x'),
        (kind, before, after, glue) => {
          const key = fakeKey(kind);
          const text = before + glue + key + glue + after;
          const out = redactSecrets(text);
          expect(out).not.toContain(key);
          expect(findKeyShapes(out)).toEqual([]);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
