import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLazyRequest } from './create-lazy-request.ts';

const raw = [
  'Host',
  'app.test',
  'Cookie',
  'session=a',
  'X-Many',
  '1',
  'x-many',
  '2',
  'Content-Type',
  'application/json',
];

describe('createLazyRequest', () => {
  it('is a Request with the method, URL and headers (repeated fields joined as Headers does)', () => {
    const request = createLazyRequest('http://app.test/api/openai/models?x=1', 'POST', raw);
    expect(request).toBeInstanceOf(Request);
    expect(Object.prototype.toString.call(request)).toBe('[object Request]');
    expect(request.method).toBe('POST');
    expect(request.url).toBe('http://app.test/api/openai/models?x=1');
    expect(request.headers).toBeInstanceOf(Headers);
    expect(request.headers.get('cookie')).toBe('session=a');
    expect(request.headers.get('x-many')).toBe('1, 2');
    expect(request.headers).toBe(request.headers);
  });

  it('serves every other member from a real bodyless Request built on first use', async () => {
    const request = createLazyRequest('http://app.test/a', 'POST', raw);
    expect(request.signal).toBeInstanceOf(AbortSignal);
    expect(request.signal.aborted).toBe(false);
    expect(request.body).toBeNull();
    expect(request.bodyUsed).toBe(false);
    expect(request.mode).toBe('cors');
    expect(request.redirect).toBe('follow');
    expect(await request.text()).toBe('');
    const copy = request.clone();
    expect(copy).toBeInstanceOf(Request);
    expect(copy.method).toBe('POST');
    expect(copy.url).toBe('http://app.test/a');
    expect(copy.headers.get('x-many')).toBe('1, 2');
    // The real Request is built once, from the same headers.
    expect(request.signal).toBe(request.signal);
    expect(inspect(request)).toContain('http://app.test/a');
  });

  it('a header value the Headers class refuses throws when the headers are read, as new Request would', () => {
    const request = createLazyRequest('http://app.test/a', 'GET', ['X-Bad', 'a\u0000b']);
    expect(request.method).toBe('GET');
    expect(() => request.headers).toThrow(TypeError);
  });
});
