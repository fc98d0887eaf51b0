import { describe, expect, it } from 'vitest';
import { parseRelayPath } from './parse-relay-path.ts';

/** As the relay sees it: the pathname after `URL` parsed the request target. */
const pathOf = (target: string) => new URL(`http://app.test${target}`).pathname;

describe('parseRelayPath (D30)', () => {
  it('D30: segments below the mount, fine-tuned model IDs included', () => {
    expect(parseRelayPath('/api/openai/chat/completions', '/api/openai')).toEqual({
      ok: true,
      segments: ['chat', 'completions'],
    });
    expect(parseRelayPath('/responses', '')).toEqual({ ok: true, segments: ['responses'] });
    expect(parseRelayPath('/api/openai/models/ft:gpt-4o-mini:org:x:AbC_1-2.3~', '/api/openai')).toEqual({
      ok: true,
      segments: ['models', 'ft:gpt-4o-mini:org:x:AbC_1-2.3~'],
    });
    expect(parseRelayPath('/api/openai', '/api/openai')).toEqual({ ok: true, segments: [] });
  });

  it('D30: outside the mount, including a shared prefix', () => {
    for (const path of ['/api/openaiX/models', '/api/other', '/', '/api']) {
      expect(parseRelayPath(path, '/api/openai'), path).toEqual({ ok: false, reason: 'outside_mount' });
    }
  });

  it('D30: every trick that could mean another path to some server is invalid', () => {
    const targets = [
      '/api/openai/%2e%2e%2forganization',
      '/api/openai/models/%2E%2E',
      '/api/openai/a%2fb',
      '/api/openai/a%2Fb',
      '/api/openai/a%5cb',
      '/api/openai/%252e%252e/x',
      '/api/openai/a%00b',
      '/api/openai//evil.test/x',
      '/api/openai/http://evil.test/',
      '/api/openai/\\\\evil.test',
      '/api/openai/@evil.test',
      '/api/openai/models;x=1',
      '/api/openai/models/',
      '/api/openai/a b',
      '/api/openai/é',
      '/api/openai/...',
      '/api/openai/models/.',
      `/api/openai/${'a/'.repeat(1100)}a`,
    ];
    for (const target of targets) {
      expect(parseRelayPath(pathOf(target), '/api/openai'), target).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('D30: dot segments that URL resolves before the relay sees them end outside the mount or on another path', () => {
    expect(pathOf('/api/openai/../organization/x')).toBe('/api/organization/x');
    expect(parseRelayPath(pathOf('/api/openai/../organization/x'), '/api/openai').ok).toBe(false);
    expect(parseRelayPath(pathOf('/api/openai/v1/../organization/admin_api_keys'), '/api/openai')).toEqual({
      ok: true,
      segments: ['organization', 'admin_api_keys'],
    });
  });
});
