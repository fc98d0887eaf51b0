import { describe, expect, it } from 'vitest';
import { filterRequestHeaders, filterResponseHeaders } from './filter-headers.ts';

describe('filterRequestHeaders / filterResponseHeaders (D36)', () => {
  it('drop an allowlisted header only when Connection names it as a whole token, in any case', () => {
    const upstream = (connection: string) =>
      new Headers({
        connection,
        'content-type': 'application/json',
        'x-request-id': 'req_1',
        'set-cookie': 'a=1',
      });
    expect(filterResponseHeaders(upstream('keep-alive'))).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'req_1',
    });
    expect(filterResponseHeaders(upstream('keep-alive, X-Request-Id'))).toEqual({
      'content-type': 'application/json',
    });
    // Contains the name, but names another header.
    expect(filterResponseHeaders(upstream('x-request-id-2, content-typed'))).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'req_1',
    });
    const browser = new Headers({
      connection: 'Accept ,close',
      accept: 'text/event-stream',
      'openai-beta': 'v2',
    });
    expect(filterRequestHeaders(browser)).toEqual({ 'openai-beta': 'v2' });
  });
});
