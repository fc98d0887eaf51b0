import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { assertNoLeak, findKeyShapes } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeRelay, startFakeRelay } from './testing/start-fake-relay.ts';

// The README's browser examples run as pasted, importing the built package by its name (self-reference through
// `exports`) and the SDK, in a Node process made to look like a page on the relay's origin: a `location`, and a
// global `fetch` that resolves paths against it and adds the session cookie as a browser's cookie jar would.
const packageDirectory = fileURLToPath(new URL('..', import.meta.url));

const pagePreamble = `
globalThis.location = new URL(process.env.PAGE_URL);
const networkFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const request = new Request(typeof input === 'string' ? new URL(input, location.href) : input, init);
  const sameOrigin = new URL(request.url).origin === location.origin;
  if (request.credentials === 'include' || (request.credentials === 'same-origin' && sameOrigin)) {
    request.headers.set('cookie', process.env.SESSION_COOKIE);
  }
  return networkFetch(request);
};
`;

async function readmeExamples(): Promise<string[]> {
  const text = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

function runModule(
  code: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: packageDirectory,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, output }));
  });
}

const relays: FakeRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

describe('README examples', () => {
  it('every js example runs against a relay on 127.0.0.1, and the relay never sees a key', async () => {
    const examples = await readmeExamples();
    expect(examples.length).toBe(3);
    const relay = await startFakeRelay();
    relays.push(relay);
    const outputs: string[] = [];
    for (const example of examples) {
      // Imports must stay first in a module: the page set-up goes right after them.
      const imports = example.match(/^import .*;$/gm) ?? [];
      const body = example.replace(/^import .*;$/gm, '');
      const result = await runModule(`${imports.join('\n')}\n${pagePreamble}\n${body}`, {
        PAGE_URL: `${relay.origin}/chat`,
        SESSION_COOKIE: `session=${relay.session}`,
      });
      outputs.push(result.output);
      expect(result.code, result.output).toBe(0);
    }
    expect(outputs[0]).toContain('Hello from');
    expect(outputs[1]).toContain('Hello from the stub upstream.');
    expect(outputs[2]).toContain('ek_ true');
    for (const request of relay.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(findKeyShapes(request.rawHeaders.join('\n'))).toEqual([]);
    }
    assertNoLeak({ logs: outputs, foreignRequests: relay.requests }, [relay.serverKey]);
  });
});
