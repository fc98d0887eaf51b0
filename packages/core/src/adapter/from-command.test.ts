import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId } from '@auth/testkit';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../auth-error.ts';
import { createResolver } from '../create-resolver.ts';
import { fromCommand } from './from-command.ts';
import type { CommandRequest, CommandResult, CommandRunner } from './runtime-ports.ts';

/* core's fromCommand on a scripted runner: what every adapter's fromCommand does once its process has run. */

const ran = (result: Partial<CommandResult>): CommandResult => ({
  exitCode: 0,
  signal: null,
  stdout: '',
  stderr: '',
  truncated: false,
  stderrTruncated: false,
  ...result,
});

function runner(answer: (request: CommandRequest) => CommandResult | Promise<CommandResult>) {
  const requests: CommandRequest[] = [];
  const run: CommandRunner = async (request) => {
    requests.push(request);
    return answer(request);
  };
  return { run, requests };
}

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(AuthError.is(error)).toBe(true);
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

const resolve = (run: CommandRunner, command: string, args: string[] = [], options = {}) =>
  createResolver({ sources: [fromCommand(run, command, args, options)] }).resolve();

describe('fromCommand (core)', () => {
  it('asks the runner for the command as given, with the limits, env and cwd; the key is stdout trimmed', async () => {
    const key = fakeKey('project');
    const { run, requests } = runner(() => ran({ stdout: `${key}\n` }));
    const source = fromCommand(run, 'pass', ['show', 'openai key'], { env: { A: 'b' }, cwd: '/tmp' });
    const resolver = createResolver({ sources: [source] });
    const credentials = await resolver.resolve();
    expect(credentials.apiKey === key).toBe(true);
    expect(credentials.origins.apiKey).toBe('command pass show "openai key"');
    expect(requests[0]).toMatchObject({
      command: 'pass',
      args: ['show', 'openai key'],
      env: { A: 'b' },
      cwd: '/tmp',
      maxBytes: 65536,
      maxStderrBytes: 4096,
    });
    expect(requests[0]?.signal).toBeInstanceOf(AbortSignal);
    assertNoLeak({ values: [credentials, await resolver.report()] }, [key]);
  });

  it('accepts a JSON object with organization, project, baseURL and an ISO expiry', async () => {
    const key = fakeKey('service_account');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const stdout = JSON.stringify({
      apiKey: key,
      organization,
      project,
      baseURL: 'http://127.0.0.1:9/v1',
      expiresAt,
    });
    const { run } = runner(() => ran({ stdout }));
    const credentials = await resolve(run, 'vault', [], {
      fields: ['apiKey', 'organization', 'project', 'baseURL'],
    });
    expect(credentials.organization).toBe(organization);
    expect(credentials.project).toBe(project);
    expect(credentials.baseURL).toBe('http://127.0.0.1:9/v1');
    expect(credentials.expiresAt).toBe(Date.parse(expiresAt));
  });

  it('printed nothing, broken JSON or a bad expiresAt → provider_failed that never quotes the output', async () => {
    const key = fakeKey('project');
    const empty = await failure(resolve(runner(() => ran({ stdout: ' \n' })).run, 'x'));
    expect(empty.message).toContain('printed nothing');
    const broken = await failure(resolve(runner(() => ran({ stdout: `{ "apiKey": ${key}` })).run, 'x'));
    expect(broken.message).toContain('not valid JSON');
    const badDate = JSON.stringify({ apiKey: key, expiresAt: 'soon' });
    const date = await failure(resolve(runner(() => ran({ stdout: badDate })).run, 'x'));
    expect(date.message).toContain('expiresAt that is not a date');
    for (const error of [empty, broken, date]) expect(error.code).toBe('provider_failed');
    assertNoLeak({ errors: [empty, broken, date] }, [key]);
  });

  it('a non-zero exit → provider_failed naming the command and its exit code, stderr redacted', async () => {
    const key = fakeKey('project');
    const opaque = 'opaque-token-of-unknown-shape-4711';
    const { run } = runner(() =>
      ran({ exitCode: 3, stdout: `${opaque}\n`, stderr: `bad key ${key} / ${opaque}\n  denied` }),
    );
    const error = await failure(resolve(run, 'vault', ['kv', 'get']));
    expect(error.code).toBe('provider_failed');
    expect(error.message).toMatch(
      /^The command vault kv get exited with code 3: bad key sk-proj-…[\w-]{4} \/ .+ denied$/,
    );
    expect(error.details).toEqual({ command: 'vault', exitCode: 3 });
    assertNoLeak({ errors: [error] }, [key, opaque]);
  });

  it('killed by a signal, long or cut stderr → the signal is named and the excerpt truncated', async () => {
    const { run } = runner(() => ran({ exitCode: null, signal: 'SIGKILL', stderr: 'x'.repeat(500) }));
    const error = await failure(resolve(run, 'op'));
    expect(error.message).toMatch(/^The command op was killed by SIGKILL: x{300}…$/);
    expect(error.details).toEqual({ command: 'op', signal: 'SIGKILL' });
    const cut = await failure(
      resolve(runner(() => ran({ exitCode: 1, stderr: 'short', stderrTruncated: true })).run, 'op'),
    );
    expect(cut.message).toBe('The command op exited with code 1: short…');
    const silent = await failure(resolve(runner(() => ran({ exitCode: 1 })).run, 'op'));
    expect(silent.message).toBe('The command op exited with code 1.');
  });

  it('output past maxBytes → provider_failed saying so, whatever the exit', async () => {
    const key = fakeKey('project');
    const { run } = runner(() => ran({ exitCode: null, signal: 'SIGTERM', stdout: key, truncated: true }));
    const error = await failure(resolve(run, 'yes', [], { maxBytes: 1024 }));
    expect(error.message).toContain('printed more than 1024 bytes');
    expect(error.details).toEqual({ command: 'yes', maxBytes: 1024 });
    assertNoLeak({ errors: [error] }, [key]);
  });

  it('a command that cannot start → provider_failed with the reason in words', async () => {
    const cases: [unknown, string, Record<string, string>][] = [
      [
        Object.assign(new Error('spawn x ENOENT'), { code: 'ENOENT' }),
        'not found (ENOENT); check the name and PATH',
        { errno: 'ENOENT' },
      ],
      [
        Object.assign(new Error('spawn x EACCES'), { code: 'EACCES' }),
        'not executable (EACCES)',
        { errno: 'EACCES' },
      ],
      [Object.assign(new Error('x'), { code: 'E2BIG' }), 'E2BIG', { errno: 'E2BIG' }],
      [
        Object.assign(new Error('x'), { reason: 'not allowed; run Deno with --allow-run=x' }),
        'not allowed; run Deno with --allow-run=x',
        {},
      ],
      [new TypeError('x'), 'TypeError', {}],
    ];
    for (const [thrown, reason, details] of cases) {
      const error = await failure(resolve(async () => Promise.reject(thrown), 'x'));
      expect(error.code).toBe('provider_failed');
      expect(error.message).toBe(`The command x could not be started: ${reason}.`);
      expect(error.details).toEqual({ command: 'x', ...details });
    }
  });

  it('a run that outlasts timeoutMs → provider_timeout, and the runner sees its signal aborted', async () => {
    let signal: AbortSignal | undefined;
    const run: CommandRunner = (request) => {
      signal = request.signal;
      return new Promise((_, reject) =>
        request.signal.addEventListener('abort', () => reject(request.signal.reason)),
      );
    };
    const error = await failure(resolve(run, 'sleep', ['30'], { timeoutMs: 50 }));
    expect(error.code).toBe('provider_timeout');
    expect(signal?.aborted).toBe(true);
  });

  it('a key-shaped argument never shows in the label (cut at 120 characters) or in errors', async () => {
    const key = fakeKey('project');
    const { run } = runner(() => ran({ exitCode: 2 }));
    const error = await failure(resolve(run, 'login', ['--token', key]));
    expect(error.message).toMatch(/^The command login --token sk-proj-…[\w-]{4}… exited with code 2\.$/);
    assertNoLeak({ errors: [error] }, [key]);
  });

  it('is cached and single-flight (fromProvider): 20 concurrent resolves, one run', async () => {
    const key = fakeKey('project');
    const { run, requests } = runner(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return ran({ stdout: key });
    });
    const resolver = createResolver({ sources: [fromCommand(run, 'op')] });
    const all = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve()));
    await resolver.resolve();
    expect(new Set(all).size).toBe(1);
    expect(requests.length).toBe(1);
  });
});
