import { fakeKey } from '@auth/testkit';
import { describe, expect, it } from 'vitest';
import { classifyKey } from './classify-key.ts';

describe('classifyKey', () => {
  it('tells every kind apart by prefix', () => {
    expect(classifyKey(fakeKey('project'))).toBe('project');
    expect(classifyKey(fakeKey('project_legacy'))).toBe('project');
    expect(classifyKey(fakeKey('service_account'))).toBe('service_account');
    expect(classifyKey(fakeKey('admin'))).toBe('admin');
    expect(classifyKey(fakeKey('user'))).toBe('user');
    expect(classifyKey(fakeKey('ephemeral'))).toBe('ephemeral');
  });

  it('says unknown for anything else, bare prefixes and non-strings included', () => {
    for (const value of ['', 'sk-', 'ek_', 'sk-proj-', 'pk-live-123', 'Bearer x', 'SK-PROJ-abc']) {
      expect(classifyKey(value)).toBe(value === 'sk-proj-' ? 'user' : 'unknown');
    }
    expect(classifyKey(42 as never)).toBe('unknown');
    expect(classifyKey({ toString: () => 'sk-proj-x' } as never)).toBe('unknown');
  });

  it('classifies future shapes by prefix without rejecting them', () => {
    expect(classifyKey('sk-proj-short')).toBe('project');
    expect(classifyKey('sk-svcacct-x')).toBe('service_account');
  });
});
