import { describe, expect, it } from 'vitest';
import { type FakeKeyKind, fakeKey, fakeOrgId, fakeProjectId } from './fake-key.ts';
import { findKeyShapes, KEY_PATTERNS } from './key-patterns.ts';

const MARKER = btoa('OpenAI');
const ALNUM = '[A-Za-z0-9]';
const URL_SAFE = '[A-Za-z0-9_-]';

const SECRET_SHAPES: Record<Exclude<FakeKeyKind, 'ephemeral'>, { shape: RegExp; length: number }> = {
  user: { shape: new RegExp(`^sk-${ALNUM}{20}${MARKER}${ALNUM}{20}$`), length: 51 },
  project: { shape: new RegExp(`^sk-proj-${URL_SAFE}{74}${MARKER}${URL_SAFE}{74}$`), length: 164 },
  project_legacy: { shape: new RegExp(`^sk-proj-${URL_SAFE}{20}${MARKER}${URL_SAFE}{20}$`), length: 56 },
  service_account: { shape: new RegExp(`^sk-svcacct-${URL_SAFE}{74}${MARKER}${URL_SAFE}{74}$`), length: 167 },
  admin: { shape: new RegExp(`^sk-admin-${URL_SAFE}{58}${MARKER}${URL_SAFE}{58}$`), length: 133 },
};
const SECRET_KINDS = Object.keys(SECRET_SHAPES) as (keyof typeof SECRET_SHAPES)[];
const SAMPLES = 200;

describe('fakeKey', () => {
  it.each(SECRET_KINDS)('%s keys have the exact prefix, alphabet, marker and length', (kind) => {
    for (let i = 0; i < SAMPLES; i++) {
      const key = fakeKey(kind);
      expect(key).toMatch(SECRET_SHAPES[kind].shape);
      expect(key).toHaveLength(SECRET_SHAPES[kind].length);
    }
  });

  it('ephemeral keys are ek_ and 32 lower-case hex digits', () => {
    for (let i = 0; i < SAMPLES; i++) expect(fakeKey('ephemeral')).toMatch(/^ek_[0-9a-f]{32}$/);
  });

  it.each([...SECRET_KINDS, 'ephemeral' as const])('%s keys differ on every call', (kind) => {
    const keys = new Set(Array.from({ length: SAMPLES }, () => fakeKey(kind)));
    expect(keys.size).toBe(SAMPLES);
  });

  it('project keys draw from the whole URL-safe alphabet, not only alphanumerics', () => {
    const text = Array.from({ length: 20 }, () => fakeKey('project')).join('');
    expect(text).toContain('_');
    expect(text).toContain('-');
    expect(text).toMatch(/[0-9]/);
    expect(text).toMatch(/[a-z]/);
  });

  it.each(SECRET_KINDS)('every %s key is found by at least one scanner pattern', (kind) => {
    for (let i = 0; i < SAMPLES; i++) {
      const key = fakeKey(kind);
      expect(findKeyShapes(`token=${key};`)).toContain(key);
    }
  });

  it('each scanner pattern recognises the kinds it is written for', () => {
    const [gitleaks, trufflehog, trufflehogAdmin] = KEY_PATTERNS.map((pattern) => new RegExp(pattern.source));
    for (const kind of ['project', 'service_account', 'admin', 'user'] as const) {
      expect(gitleaks?.test(fakeKey(kind))).toBe(true);
    }
    for (const kind of ['project', 'project_legacy', 'service_account', 'user'] as const) {
      expect(trufflehog?.test(fakeKey(kind))).toBe(true);
    }
    expect(trufflehogAdmin?.test(fakeKey('admin'))).toBe(true);
  });

  it('ephemeral keys match no scanner pattern (they are browser-safe)', () => {
    for (let i = 0; i < SAMPLES; i++) expect(findKeyShapes(fakeKey('ephemeral'))).toEqual([]);
  });
});

describe('fakeOrgId and fakeProjectId', () => {
  it('are org- and proj_ followed by 24 alphanumerics, new on every call', () => {
    const orgs = new Set(Array.from({ length: 50 }, fakeOrgId));
    const projects = new Set(Array.from({ length: 50 }, fakeProjectId));
    expect(orgs.size).toBe(50);
    expect(projects.size).toBe(50);
    for (const org of orgs) expect(org).toMatch(/^org-[A-Za-z0-9]{24}$/);
    for (const project of projects) expect(project).toMatch(/^proj_[A-Za-z0-9]{24}$/);
  });
});
