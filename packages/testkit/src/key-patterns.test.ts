import { describe, expect, it } from 'vitest';
import { fakeKey } from './fake-key.ts';
import { findKeyShapes, KEY_PATTERNS } from './key-patterns.ts';

describe('KEY_PATTERNS', () => {
  it('holds the three scanner patterns, all global, in a frozen list', () => {
    expect(KEY_PATTERNS).toHaveLength(3);
    for (const pattern of KEY_PATTERNS) expect(pattern.flags).toContain('g');
    expect(Object.isFrozen(KEY_PATTERNS)).toBe(true);
  });
});

describe('findKeyShapes', () => {
  it('returns every key in a text, once per pattern that matches it', () => {
    const user = fakeKey('user');
    const admin = fakeKey('admin');
    const found = findKeyShapes(`first ${user} then "${admin}".`);
    // user: gitleaks and trufflehog openai; admin: gitleaks and trufflehog openaiadmin.
    expect(found.filter((match) => match === user)).toHaveLength(2);
    expect(found.filter((match) => match === admin)).toHaveLength(2);
    expect(found).toHaveLength(4);
  });

  it('gives the same answer on repeated calls (no lastIndex carried over)', () => {
    const text = `key ${fakeKey('project')}`;
    const first = findKeyShapes(text);
    expect(first.length).toBeGreaterThan(0);
    expect(findKeyShapes(text)).toEqual(first);
    expect(findKeyShapes(text)).toEqual(first);
  });

  it('finds nothing in masked keys, IDs or ephemeral secrets', () => {
    const key = fakeKey('project');
    const openAiMask = `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
    expect(
      findKeyShapes(`${key.slice(0, 6)}…${key.slice(-4)} ${openAiMask} ${fakeKey('ephemeral')}`),
    ).toEqual([]);
  });
});
