import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { assertNoLeak, fakeKey, startUpstream } from '@auth/testkit';
import { describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from './testing/start-redis-server.ts';
import { bundleForNode } from './testing/start-relay-child.ts';

// Every ```js block of the README is a whole program that runs as a user would paste it: `node` in this
// package's folder, importing `@auth/node` as installed and `@auth/redis` (from source, through the bundler).
// Fragments are ```ts and are not run.
const packageDirectory = fileURLToPath(new URL('..', import.meta.url));

async function readmeExamples(): Promise<string[]> {
  const text = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

describe('README', () => {
  it('the relay example runs: one limit per session, 401 without one, a clean exit on SIGTERM', async () => {
    const examples = await readmeExamples();
    expect(examples).toHaveLength(1);
    const key = fakeKey('project');
    let redis: RedisServer | undefined;
    const upstream = await startUpstream({ expectedKey: key });
    const child = { output: '', exitCode: undefined as number | null | undefined };
    try {
      redis = await startRedisServer();
      const code = await bundleForNode('README.md.js', examples[0]!);
      const example = spawn(process.execPath, ['--input-type=module', '-e', code], {
        cwd: packageDirectory,
        env: {
          PATH: process.env.PATH ?? '',
          NO_COLOR: '1',
          OPENAI_API_KEY: key,
          OPENAI_BASE_URL: upstream.url,
          REDIS_URL: redis.url,
          PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => example.once('exit', resolve));
      for (const stream of [example.stdout, example.stderr]) {
        stream.setEncoding('utf8').on('data', (chunk: string) => {
          child.output += chunk;
        });
      }
      try {
        let mount: string | undefined;
        for (let tries = 0; tries < 250 && mount === undefined; tries++) {
          mount = /relay on (\S+)/.exec(child.output)?.[1];
          if (mount === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(mount, child.output).toEqual(
          expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/openai$/),
        );
        const responses: unknown[] = [];
        const get = async (cookie?: string) => {
          const response = await fetch(`${mount}/models`, {
            headers: cookie === undefined ? {} : { cookie },
            signal: AbortSignal.timeout(5_000),
          });
          responses.push(response, await response.text());
          return response.status;
        };
        // 30 a minute: a burst of 30, then one every 2 s. Under load the requests may take long enough for
        // the budget to refill a little, so the first refusal comes after 30 plus what refilled meanwhile.
        const started = performance.now();
        const statuses: number[] = [];
        while (statuses.length < 40 && !statuses.includes(429))
          statuses.push(await get('session=demo-session'));
        const refilled = Math.ceil((performance.now() - started) / 2_000);
        const served = statuses.indexOf(429);
        expect(served, String(statuses)).toBeGreaterThanOrEqual(30);
        expect(served, String(statuses)).toBeLessThanOrEqual(30 + refilled);
        expect(statuses.slice(0, served)).toEqual(Array(served).fill(200));
        expect(await get()).toBe(401);
        expect(await get('session=forged')).toBe(401);
        example.kill('SIGTERM');
        const timer = setTimeout(() => example.kill('SIGKILL'), 5_000);
        child.exitCode = await exited;
        clearTimeout(timer);
        expect(child.exitCode, child.output).toBe(0);
        assertNoLeak({ responses, logs: [child.output], upstreamRequests: upstream.requests }, [key]);
      } finally {
        example.kill('SIGKILL');
      }
    } finally {
      await Promise.allSettled([upstream.close(), redis?.stop()]);
    }
  });
});
