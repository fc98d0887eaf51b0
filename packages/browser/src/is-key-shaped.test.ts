import { type FakeKeyKind, fakeKey } from '@auth/testkit';
import { describe, expect, it } from 'vitest';
import { isKeyShaped } from './is-key-shaped.ts';

const secretKinds: FakeKeyKind[] = ['project', 'project_legacy', 'service_account', 'admin', 'user'];

describe('isKeyShaped', () => {
  it.each(secretKinds)(
    'flags a %s key alone, in a Bearer header, in JSON, in a URL and lower-cased',
    (kind) => {
      const key = fakeKey(kind);
      for (const text of [
        key,
        `Bearer ${key}`,
        JSON.stringify({ apiKey: key }),
        `https://app.example.test/x?key=${key}`,
        key.toLowerCase(),
        `x-${key}`.toLowerCase(),
      ]) {
        expect(isKeyShaped(text)).toBe(true);
      }
    },
  );

  it('flags a future sk- key without the marker, by its length', () => {
    expect(isKeyShaped(`sk-future-${'a'.repeat(40)}`)).toBe(true);
  });

  it.each([
    fakeKey('ephemeral'),
    'sk-short',
    'risk-assessment-of-the-quarterly-numbers',
    'https://desk-app.example.test/api/openai',
    'no-key-in-browser',
    'Bearer session-token-123',
    'org-abc',
    'proj_abc',
    '',
  ])('passes %s', (text) => {
    expect(isKeyShaped(text)).toBe(false);
  });
});
