import assert from 'node:assert/strict';
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
