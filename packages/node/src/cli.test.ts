import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  assertNoLeak,
  authErrorCodes,
  fakeKey,
  fakeOrgId,
  fakeProjectId,
  startUpstream,
} from '@auth/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { withSecretFile } from './testing/with-secret-file.ts';

// The real artifact: the bin of the package as npm links it, built by `pnpm build` (turbo runs it first).
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const sourceDirectory = fileURLToPath(new URL('.', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with exactly `env` (plus PATH), so nothing of the developer's environment leaks in. */
function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  if (!existsSync(cli))
    throw new Error('dist/cli.js is missing: run `pnpm --filter @auth/node build` first.');
  const built = statSync(cli).mtimeMs;
  const sources = (await readdir(sourceDirectory)).filter(
    (name) => name.endsWith('.ts') && !name.endsWith('.test.ts'),
  );
  const stale = sources.filter((name) => statSync(`${sourceDirectory}/${name}`).mtimeMs > built);
  if (stale.length > 0)
    throw new Error(`dist/cli.js is older than ${stale.join(', ')}: run the build again.`);
});

describe('openai-auth (the built CLI)', () => {
  it('doctor: usable credentials → exit 0, masked key, origins in plain words, no key anywhere', async () => {
    const key = fakeKey('project');
    const organization = fakeOrgId();
    const run = await runCli(['doctor'], { OPENAI_API_KEY: key, OPENAI_ORG_ID: organization });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('OpenAI credentials: OK (node)');
    expect(run.stdout).toContain(`sk-proj-…${key.slice(-4)}`);
    expect(run.stdout).toContain('env OPENAI_API_KEY');
    expect(run.stdout).toContain(organization);
    assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
  });

  it('doctor: a key from OPENAI_API_KEY_FILE and a project from a file', async () => {
    const key = fakeKey('service_account');
    const project = fakeProjectId();
    await withSecretFile(`${key}\n`, async (path) => {
      await withSecretFile(project, async (projectPath) => {
        const run = await runCli(['doctor'], {
          OPENAI_API_KEY_FILE: path,
          OPENAI_PROJECT_ID_FILE: projectPath,
        });
        expect(run.code).toBe(0);
        expect(run.stdout).toContain(`file ${path} (OPENAI_API_KEY_FILE)`);
        expect(run.stdout).toContain(project);
        assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
      });
    });
  });

  it('doctor --json: the report as JSON, key masked', async () => {
    const key = fakeKey('admin');
    const run = await runCli(['doctor', '--json'], { OPENAI_API_KEY: key });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      key: { kind: string };
      warnings: { code: string }[];
    };
    expect(report.ok).toBe(true);
    expect(report.key.kind).toBe('admin');
    expect(report.warnings.map((warning) => warning.code)).toContain('admin_key');
    assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
  });

  it('doctor: missing credentials → exit 1 and says what to set', async () => {
    const run = await runCli(['doctor'], { OPENAI_API_KEY: '  ' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('NOT USABLE');
    expect(run.stdout).toContain('missing_credentials');
    expect(run.stdout).toContain('OPENAI_API_KEY_FILE');
  });

  it('doctor: invalid credentials (a key with a space) → exit 1 without any of the value', async () => {
    const key = fakeKey('project');
    const run = await runCli(['doctor', '--json'], {
      OPENAI_API_KEY: `${key.slice(0, 40)} ${key.slice(40)}`,
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe('invalid_credentials');
    expect(run.stdout).not.toContain(key.slice(8, 40));
    assertNoLeak({ logs: [run.stdout, run.stderr] }, [key, key.slice(40)]);
  });

  it('doctor: conflicting OPENAI_API_KEY and OPENAI_API_KEY_FILE → exit 1', async () => {
    const key = fakeKey('project');
    await withSecretFile(fakeKey('project'), async (path) => {
      const run = await runCli(['doctor'], { OPENAI_API_KEY: key, OPENAI_API_KEY_FILE: path });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('conflicting_sources');
      assertNoLeak({ logs: [run.stdout, run.stderr] }, [key]);
    });
  });

  it('--help → exit 0 with usage', async () => {
    for (const args of [['--help'], ['-h'], ['doctor', '--help']]) {
      const run = await runCli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: openai-auth doctor [--check] [--json]');
    }
  });

  it('usage errors → exit 2; a key pasted as an argument is not echoed', async () => {
    const key = fakeKey('project');
    const runs = await Promise.all([
      runCli([]),
      runCli(['status']),
      runCli(['doctor', '--yaml']),
      runCli([key], { OPENAI_API_KEY: key }),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Usage:');
    }
    assertNoLeak({ logs: runs.flatMap((run) => [run.stdout, run.stderr]) }, [key]);
  });

  it('C21: doctor --check explains each refusal distinctly (key, organization, project, none, scopes); none retried', async () => {
    const upstream = await startUpstream();
    try {
      const key = fakeKey('project');
      const env = { OPENAI_API_KEY: key, OPENAI_BASE_URL: upstream.url, OPENAI_PROJECT_ID: fakeProjectId() };
      const codes = authErrorCodes;
      const hints = new Set<string>();
      const runs: Run[] = [];
      for (const code of codes) {
        upstream.reply({ type: 'auth_error', code });
        const before = upstream.requests.length;
        const run = await runCli(['doctor', '--check'], env);
        runs.push(run);
        expect(run.code, code).toBe(1);
        expect(run.stdout).toContain(`API check: GET ${upstream.url}/models → 401`);
        expect(run.stdout).toContain('FAILED');
        const hint = /FAILED\n {2}(.+)/.exec(run.stdout)?.[1];
        expect(hint, code).toBeDefined();
        hints.add(hint!);
        // One call: the auth fetch retries a 401 only for a key that changed, and these are not retried at all.
        expect(upstream.requests.length - before, code).toBe(1);
      }
      expect(hints.size).toBe(codes.length);
      expect([...hints].join('\n')).toMatch(/OPENAI_ORG_ID[\s\S]*OPENAI_PROJECT_ID/);
      assertNoLeak({ logs: runs.flatMap((run) => [run.stdout, run.stderr]) }, [key]);
    } finally {
      await upstream.close();
    }
  });

  it('doctor --check: accepted → exit 0 with the model count; --json carries the check; no answer → exit 1', async () => {
    const upstream = await startUpstream();
    try {
      const key = fakeKey('service_account');
      const env = { OPENAI_API_KEY: key, OPENAI_BASE_URL: upstream.url };
      upstream.reply({
        type: 'json',
        body: { object: 'list', data: [{ id: 'gpt-4o-mini' }, { id: 'gpt-4o' }] },
      });
      const ok = await runCli(['doctor', '--check'], env);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('→ 200: OK');
      expect(ok.stdout).toContain('(2 models visible)');
      expect(upstream.requests.at(-1)!.headers.authorization).toEqual([`Bearer ${key}`]);

      upstream.reply({ type: 'status', status: 429 });
      const json = await runCli(['doctor', '--check', '--json'], env);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout).check).toMatchObject({
        ok: true,
        status: 429,
        upstreamCode: 'rate_limit_exceeded',
      });

      const closed = await startUpstream();
      await closed.close();
      const down = await runCli(['doctor', '--check'], { ...env, OPENAI_BASE_URL: closed.url });
      expect(down.code).toBe(1);
      expect(down.stdout).toContain('→ no answer: FAILED');
      expect(down.stdout).toContain(`No answer from ${new URL(closed.url).origin}`);

      // Credentials that are not usable are not sent anywhere.
      const before = upstream.requests.length;
      const missing = await runCli(['doctor', '--check'], { OPENAI_BASE_URL: upstream.url });
      expect(missing.code).toBe(1);
      expect(missing.stdout).not.toContain('API check');
      expect(upstream.requests.length).toBe(before);
      assertNoLeak({ logs: [ok, json, down, missing].flatMap((run) => [run.stdout, run.stderr]) }, [key]);
    } finally {
      await upstream.close();
    }
  });
});
