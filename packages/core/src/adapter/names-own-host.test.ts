import assert from 'node:assert/strict';
import fc from 'fast-check';
import { it } from 'vitest';
import { namesOwnHost } from './names-own-host.ts';

/* What a server hands a handler: the URL it built, and `Host` as the client sent it. */

function request(url: string, host?: string): Request {
  return new Request(url, host === undefined ? {} : { headers: { host } });
}

it('D30: a URL whose host is the Host header passes, whatever the case of the Host header', () => {
  assert.equal(namesOwnHost(request('http://127.0.0.1:8787/api/openai/models', '127.0.0.1:8787')), true);
  assert.equal(namesOwnHost(request('http://app.example.com/api/openai/models', 'App.Example.com')), true);
  assert.equal(namesOwnHost(request('http://[::1]:8787/x', '[::1]:8787')), true);
});

it('D30: an absolute-form target naming another host, or another port, is refused', () => {
  assert.equal(namesOwnHost(request('http://evil.test/api/openai/models', '127.0.0.1:8787')), false);
  assert.equal(namesOwnHost(request('http://127.0.0.1:9999/api/openai/models', '127.0.0.1:8787')), false);
});

it('D30: a Host with userinfo, a path, a default port or garbage is refused', () => {
  for (const host of ['a@127.0.0.1:8787', '127.0.0.1:8787/x', 'example.com:80', 'exa mple.com', '']) {
    assert.equal(namesOwnHost(request('http://127.0.0.1:8787/x', host)), false, host);
  }
});

it('without a Host header (HTTP/2 carries :authority) the URL stands', () => {
  assert.equal(namesOwnHost(request('http://127.0.0.1:8787/x')), true);
});

it('D30: the unparsed fast path answers as the URL parser does, for any Host and URL (property)', () => {
  // The check as it was before the fast path: two URL parses.
  const parsed = (url: string, host: string) => {
    try {
      const base = new URL(`http://${host}`);
      return (
        base.host === host.toLowerCase() &&
        base.username === '' &&
        base.password === '' &&
        new URL(url).host === base.host
      );
    } catch {
      return false;
    }
  };
  const label = fc.constantFrom(
    ...[
      'a',
      'app',
      'xn--',
      'xn--nxasmq6b',
      'x-',
      '-y',
      'B',
      'com',
      '0',
      '1',
      '127',
      '255',
      '256',
      '01',
      '0x7f',
    ],
    ...['é', '%41', '', 'a/b', 'a@b', 'a?b', 'a#b', 'a\\b'],
  );
  const host = fc
    .tuple(
      fc.array(label, { minLength: 1, maxLength: 5 }),
      fc.constantFrom('', ':', ':80', ':080', ':8080', ':0', ':65535', ':65536', ':99999', ':1x', '.'),
      fc.constantFrom('', '', '', 'user@', 'a:b@', ' ', '[::1]'),
    )
    .map(([labels, port, prefix]) => prefix + labels.join('.') + port);
  fc.assert(
    fc.property(
      host,
      host,
      fc.constantFrom('http://', 'https://'),
      fc.constantFrom('/', '/x?y', ''),
      (h, other, scheme, path) => {
        // The URL names the same host, another, or one that starts with it (`a` and `app`, `a` and `a:1`).
        for (const urlHost of [h, other, h.toLowerCase(), `${h}p`, `${h}.b`, `${h}:1`, `${h}@b`, `b@${h}`]) {
          let url: string;
          try {
            // Serialized as a server's Request URL is; with userinfo too, which Bun builds from `Host: a@b`
            // though `new Request` refuses it, hence a request-like object.
            url = new URL(`${scheme}${urlHost}${path}`).href;
          } catch {
            continue;
          }
          const headers = new Headers();
          try {
            headers.set('host', h);
          } catch {
            continue; // not a header value at all
          }
          // As the server stores it (Headers trims the value).
          const sent = headers.get('host')!;
          assert.equal(namesOwnHost({ url, headers } as Request), parsed(url, sent), `${sent} ${url}`);
        }
      },
    ),
    { numRuns: 3000 },
  );
});
