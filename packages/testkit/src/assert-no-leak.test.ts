import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { assertNoLeak, type Captured } from './assert-no-leak.ts';
import { fakeKey } from './fake-key.ts';
import { findKeyShapes } from './key-patterns.ts';
import { sendRawRequest } from './send-raw-request.ts';
import { type RecordedRequest, startUpstream, type Upstream } from './start-upstream.ts';

const upstreams: Upstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
});

async function upstreamRequest(options: Parameters<typeof sendRawRequest>[1]): Promise<RecordedRequest> {
  const upstream = await startUpstream();
  upstreams.push(upstream);
  await sendRawRequest(upstream.origin, options);
  const [recorded] = upstream.requests;
  if (recorded === undefined) throw new Error('the upstream recorded nothing');
  return recorded;
}

function recorded(rawHeaders: string[], overrides: Partial<RecordedRequest> = {}): RecordedRequest {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    headers[name] = [...(headers[name] ?? []), rawHeaders[i + 1]!];
  }
  return {
    method: 'GET',
    target: '/v1/models',
    path: '/v1/models',
    headers,
    rawHeaders,
    body: '',
    aborted: false,
    ...overrides,
  };
}

/** Asserts a leak is reported, where expected, without the report itself leaking. */
function expectLeak(captured: Captured, secret: string, where: string): void {
  let thrown: unknown;
  try {
    assertNoLeak(captured, [secret]);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Error);
  const error = thrown as Error;
  expect(error.message).toContain(where);
  expect(error.message).toContain(`${secret.slice(0, 6)}…${secret.slice(-4)}`);
  for (const text of [error.message, String(error.stack), inspect(error, { showHidden: true })]) {
    expect(text).not.toContain(secret);
    expect(findKeyShapes(text)).toEqual([]);
  }
}

describe('assertNoLeak in captured output', () => {
  it('passes when nothing holds key material', () => {
    const key = fakeKey('project');
    expect(() =>
      assertNoLeak(
        {
          responses: [
            '{"ok":true}',
            { ok: true },
            new Response('x', { headers: { 'x-request-id': 'req_1' } }),
          ],
          logs: ['request sent', ['args', { n: 1 }]],
          errors: [new Error('upstream failed', { cause: new Error('timeout') })],
          values: [{ apiKey: '***' }, 42, null, undefined, Symbol('s')],
        },
        [key],
      ),
    ).not.toThrow();
  });

  it('finds the key in a log line', () => {
    const key = fakeKey('service_account');
    expectLeak({ logs: ['ok', `calling upstream with ${key}`] }, key, 'logs[1]');
  });

  it('finds the key in an error message', () => {
    const key = fakeKey('user');
    expectLeak({ errors: [new TypeError(`Invalid header value: Bearer ${key}\r\n`)] }, key, 'errors[0]');
  });

  it('finds the key two causes deep', () => {
    const key = fakeKey('project');
    const error = new Error('request failed', {
      cause: new Error('fetch failed', { cause: new Error(`bad ${key}`) }),
    });
    expectLeak({ errors: [error] }, key, 'errors[0].cause.cause (message)');
  });

  it("finds the key in an error's own property", () => {
    const key = fakeKey('admin');
    const error = Object.assign(new Error('request failed'), {
      config: { headers: { authorization: `Bearer ${key}` } },
    });
    expectLeak({ errors: [error] }, key, 'errors[0].config');
  });

  it('finds the key in the errors of an AggregateError', () => {
    const key = fakeKey('project');
    expectLeak(
      { errors: [new AggregateError([new Error('a'), new Error(key)], 'all failed')] },
      key,
      'errors[0].errors[1]',
    );
  });

  it("finds the key in an object's JSON (toJSON)", () => {
    const key = fakeKey('project');
    const credentials = {
      toString: () => '[Credentials]',
      [inspect.custom]: () => '[Credentials]',
      toJSON: () => ({ apiKey: key }),
    };
    expectLeak({ values: [credentials] }, key, 'values[0] (JSON)');
  });

  it('finds the key in a non-enumerable property that only inspect with showHidden shows', () => {
    const key = fakeKey('project');
    const client = { baseURL: 'https://api.openai.com/v1' };
    Object.defineProperty(client, 'apiKey', { value: key, enumerable: false });
    expect(JSON.stringify(client)).not.toContain(key);
    expect(inspect(client)).not.toContain(key);
    expectLeak({ values: [client] }, key, 'values[0] (inspect)');
  });

  it('finds the key in the status text and headers of a Response', () => {
    const key = fakeKey('project');
    expectLeak(
      { responses: [new Response('{}', { statusText: `bad ${key}` })] },
      key,
      'responses[0] (status)',
    );
    expectLeak(
      { responses: [new Response('{}', { headers: { 'x-debug': key } })] },
      key,
      'responses[0] (header)',
    );
  });

  it('finds key-shaped strings that are not among the given secrets', () => {
    const other = fakeKey('user');
    expect(() => assertNoLeak({ logs: [`leaked ${other}`] }, [fakeKey('project')])).toThrow(
      /logs\[0\]: key-shaped/,
    );
    expect(() => assertNoLeak({ logs: [`leaked ${other}`] }, [])).toThrow(/logs\[0\]/);
  });

  it('does not count renderings that throw as leaks', () => {
    const key = fakeKey('project');
    const hostile = {
      fn: () => 1, // structuredClone throws DataCloneError
      toString: () => {
        throw new Error('no');
      },
      toJSON: () => {
        throw new Error('no');
      },
      big: 10n,
    };
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    const looping = new Error('loop');
    looping.cause = looping;
    expect(() => assertNoLeak({ values: [hostile, cyclic], errors: [looping] }, [key])).not.toThrow();
  });

  it('accepts masked forms of the key', () => {
    const key = fakeKey('project');
    const openAiMask = `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
    expect(() =>
      assertNoLeak({ logs: [`key ${key.slice(0, 6)}…${key.slice(-4)}`], responses: [openAiMask] }, [key]),
    ).not.toThrow();
  });

  it('refuses an empty secret, which would match everything', () => {
    expect(() => assertNoLeak({ logs: ['x'] }, [''])).toThrow(TypeError);
  });

  it('keeps the report free of the key even when the key is in a location name', () => {
    const key = fakeKey('project');
    const error = Object.assign(new Error('x'), { [key]: `value ${key}` });
    expectLeak({ errors: [error] }, key, 'errors[0]');
  });
});

describe('assertNoLeak in upstream requests', () => {
  it('allows exactly one Authorization: Bearer <key> header', async () => {
    const key = fakeKey('project');
    const request = await upstreamRequest({
      target: '/v1/models',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(() => assertNoLeak({ upstreamRequests: [request] }, [key])).not.toThrow();
  });

  it('finds the key in the body', async () => {
    const key = fakeKey('project');
    const request = await upstreamRequest({
      method: 'POST',
      target: '/v1/chat/completions',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: key }] }),
    });
    expectLeak({ upstreamRequests: [request] }, key, 'upstreamRequests[0] (body)');
  });

  it('finds the key in another header', async () => {
    const key = fakeKey('project');
    const request = await upstreamRequest({ headers: { authorization: `Bearer ${key}`, 'x-api-key': key } });
    expectLeak({ upstreamRequests: [request] }, key, 'upstreamRequests[0] (header #');
  });

  it('finds the key in the query', async () => {
    const key = fakeKey('project');
    const request = await upstreamRequest({
      target: `/v1/models?api_key=${key}`,
      headers: { authorization: `Bearer ${key}` },
    });
    expectLeak({ upstreamRequests: [request] }, key, 'upstreamRequests[0] (request line)');
  });

  it('finds the key in a second Authorization header', async () => {
    const key = fakeKey('project');
    const request = await upstreamRequest({ headers: { authorization: [`Bearer ${key}`, `Bearer ${key}`] } });
    expect(request.headers.authorization).toHaveLength(2);
    expectLeak({ upstreamRequests: [request] }, key, 'upstreamRequests[0] (header #');
  });

  it('finds the key in a malformed Authorization header', async () => {
    const key = fakeKey('project');
    for (const value of [`Bearer  ${key}`, `bearer ${key}`, `Basic ${key}`]) {
      const request = await upstreamRequest({ headers: { authorization: value } });
      expectLeak({ upstreamRequests: [request] }, key, 'upstreamRequests[0] (header #');
    }
    // node:http trims trailing whitespace off header values, so this one can only come from a hand-built record.
    expectLeak({ upstreamRequests: [recorded(['Authorization', `Bearer ${key} `])] }, key, '(header #1)');
  });

  it('allows only the given secrets in Authorization, not any key-shaped value', () => {
    const key = fakeKey('project');
    const other = fakeKey('project');
    expect(() =>
      assertNoLeak({ upstreamRequests: [recorded(['Authorization', `Bearer ${other}`])] }, [key]),
    ).toThrow(/key-shaped/);
  });

  it('falls back to the headers record when rawHeaders is empty', () => {
    const key = fakeKey('project');
    const request = recorded([], { headers: { 'x-forwarded-key': [key] } });
    expectLeak({ upstreamRequests: [request] }, key, 'upstreamRequests[0] (header #1)');
  });

  it('allows nothing in a foreign request, not even Authorization', () => {
    const key = fakeKey('project');
    const clean = recorded(['Host', 'evil.test'], { method: 'POST', target: '/collect', path: '/collect' });
    expect(() => assertNoLeak({ foreignRequests: [clean] }, [key])).not.toThrow();
    const parts: RecordedRequest[] = [
      recorded(['Authorization', `Bearer ${key}`]),
      recorded(['OpenAI-Project', key]),
      recorded([], { target: `/x?k=${key}`, path: '/x' }),
      recorded([], { body: key }),
    ];
    for (const request of parts) expectLeak({ foreignRequests: [request] }, key, 'foreignRequests[0]');
  });
});
