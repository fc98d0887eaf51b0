import { expect, test } from 'bun:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoLeak, fakeKey, fakeOrgId } from '@auth/testkit';
import { runBun } from '../test/run-bun.ts';
import { withEnv } from '../test/with-env.ts';
import { createResolver, readEnv, resolveCredentials } from './index.ts';

const fixture = new URL('../test/fixtures/print-report.ts', import.meta.url).pathname;

test('readEnv reads Bun.env at call time, set after start-up included', async () => {
  const key = fakeKey('project');
  await withEnv({ OPENAI_API_KEY: key, OPENAI_ORG_ID: undefined }, async () => {
    expect(readEnv('OPENAI_API_KEY') === key).toBe(true);
    expect(readEnv('OPENAI_ORG_ID')).toBeUndefined();
    const credentials = await resolveCredentials();
    expect(credentials.apiKey === key).toBe(true);
    expect(credentials.origins.apiKey).toBe('env OPENAI_API_KEY');
  });
});

test('the report names every variable looked at, with the key masked', async () => {
  const key = fakeKey('project');
  const organization = fakeOrgId();
  await withEnv(
    { OPENAI_API_KEY: key, OPENAI_ORG_ID: organization, OPENAI_PROJECT_ID: undefined },
    async () => {
      const report = await createResolver().report();
      expect(report.ok).toBe(true);
      expect(report.runtime).toBe('bun');
      expect(report.fields.organization.origin).toBe('env OPENAI_ORG_ID');
      expect(report.key?.masked).toBe(`sk-proj-…${key.slice(-4)}`);
      assertNoLeak({ values: [report] }, [key]);
    },
  );
});

test('a key in the .env file of the working directory is found: Bun loads it into Bun.env', async () => {
  const key = fakeKey('service_account');
  const dir = await mkdtemp(join(tmpdir(), 'auth-bun-'));
  try {
    await writeFile(join(dir, '.env'), `OPENAI_API_KEY=${key}\nOPENAI_PROJECT_ID=proj_fromdotenv\n`);
    const run = await runBun(['run', fixture], {}, dir);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toEqual({ ok: true, error: null, apiKeyOrigin: 'env OPENAI_API_KEY' });
    expect(run.stdout).toContain('project: proj_fromdotenv  ← env OPENAI_PROJECT_ID');
    assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('A2: a blank OPENAI_API_KEY is unset → missing_credentials naming the sources', async () => {
  await withEnv({ OPENAI_API_KEY: ' \n', OPENAI_API_KEY_FILE: undefined }, async () => {
    const report = await createResolver().report();
    expect(report.error?.code).toBe('missing_credentials');
    expect(report.error?.message).toContain('env OPENAI_API_KEY (blank)');
  });
});
