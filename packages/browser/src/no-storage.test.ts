import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRelayFetch } from './create-relay-fetch.ts';
import { fetchRealtimeSecret } from './fetch-realtime-secret.ts';
import { openaiBrowserOptions } from './openai-browser-options.ts';
import { type FakeRelay, startFakeRelay } from './testing/start-fake-relay.ts';
import { writeRelayError } from './testing/write-relay-error.ts';

// Every browser place a token could be persisted or a cookie written. Each is replaced by a spy that records any
// use at all (read, write, enumeration), so the test proves more than "no write".
const storageNames = [
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'caches',
  'document',
  'cookieStore',
] as const;

let uses: string[] = [];
let saved: [string, PropertyDescriptor | undefined][] = [];
const relays: FakeRelay[] = [];

function spy(name: string): object {
  // A function target, so that the spy also records being called or constructed.
  return new Proxy(() => {}, {
    get: (_, property) => {
      uses.push(`${name} get ${String(property)}`);
      // A callable spy, so that `localStorage.setItem(...)` would be recorded rather than crash the code under test.
      return (...args: unknown[]) => uses.push(`${name} call ${String(property)} (${args.length} arguments)`);
    },
    set: (_, property) => {
      uses.push(`${name} set ${String(property)}`);
      return true;
    },
    has: (_, property) => {
      uses.push(`${name} has ${String(property)}`);
      return false;
    },
    deleteProperty: (_, property) => {
      uses.push(`${name} delete ${String(property)}`);
      return true;
    },
    defineProperty: (_, property) => {
      uses.push(`${name} define ${String(property)}`);
      return true;
    },
    ownKeys: () => {
      uses.push(`${name} keys`);
      return ['prototype'];
    },
    apply: () => {
      uses.push(`${name} call`);
    },
    construct: () => {
      uses.push(`${name} new`);
      return {};
    },
  });
}

beforeEach(() => {
  uses = [];
  saved = storageNames.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)]);
  for (const name of storageNames) {
    Object.defineProperty(globalThis, name, { value: spy(name), configurable: true, writable: true });
  }
});

afterEach(async () => {
  for (const [name, descriptor] of saved) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor);
    else Reflect.deleteProperty(globalThis, name);
  }
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

describe('storage (E44)', () => {
  it('E44: the spies see uses (the test can fail)', () => {
    (globalThis as unknown as { localStorage: Storage }).localStorage.setItem('token', 'x');
    expect(uses).toContain('localStorage get setItem');
    uses = [];
  });

  it('E44: no localStorage, sessionStorage, IndexedDB, Cache API or cookie use in any path of the package', async () => {
    const relay = await startFakeRelay();
    relays.push(relay);
    const fetch = relay.browserFetch();

    // Plain fetch: GET, POST, a 401 with re-auth, a 429 waited out, a refused request.
    const relayFetch = createRelayFetch({
      relayURL: relay.url,
      fetch,
      onUnauthorized: async () => {
        relay.sessions.add(relay.session);
        return true;
      },
    });
    await (await relayFetch('models')).text();
    await (await relayFetch('chat/completions', { method: 'POST', body: '{"model":"gpt-4o-mini"}' })).text();
    relay.sessions.clear();
    await (await relayFetch('models')).text();
    relay.reply((_, res) => {
      res.setHeader('retry-after', '0');
      writeRelayError(res, 429, 'Too many requests.', 'rate_limited');
    });
    await (await relayFetch('models')).text();
    await relayFetch('https://evil.test/x').catch(() => undefined);

    // Realtime secret, twice: nothing cached between calls.
    await fetchRealtimeSecret({ relayURL: relay.url, fetch, ttlSeconds: 60 });
    await fetchRealtimeSecret({ relayURL: relay.url, fetch });
    expect(relay.requests.filter((request) => request.path.endsWith('/client_secrets'))).toHaveLength(2);

    // The official SDK through the relay.
    const client = new OpenAI(openaiBrowserOptions({ relayURL: relay.url, fetch }));
    await client.models.list();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    for await (const _chunk of stream) {
      // drain
    }

    expect(uses).toEqual([]);
  });
});
