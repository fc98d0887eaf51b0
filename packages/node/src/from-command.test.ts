import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoLeak, fakeKey, fakeOrgId, fakeProjectId } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, createResolver, formatReport, fromCommand } from './index.ts';
import { scopedEnv } from './testing/scoped-env.ts';
import { withSecretFile } from './testing/with-secret-file.ts';

const env = scopedEnv();
afterEach(() => env.restore());

// The credential "commands" are Node itself running a one-line script: portable, and no shell involved.
const node = process.execPath;
const script = (code: string): [string, string[]] => [node, ['-e', code]];

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (AuthError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

describe('fromCommand', () => {
  it('uses what the command prints, trimmed; the report names the command', async () => {
    const key = fakeKey('project');
    const [command, args] = script('process.stdout.write(process.env.SECRET + "\\n")');
    const resolver = createResolver({ provider: fromCommand(command, args, { env: { SECRET: key } }) });
    const credentials = await resolver.resolve();
    expect(credentials.apiKey === key).toBe(true);
    expect(credentials.origins.apiKey).toMatch(/^command .*node.* -e /);
    const report = await resolver.report();
    assertNoLeak({ values: [credentials, report], logs: [formatReport(report)] }, [key]);
  });

  it('accepts a JSON object with the key, organization, project and an ISO expiry', async () => {
    const key = fakeKey('service_account');
    const organization = fakeOrgId();
    const project = fakeProjectId();
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const [command, args] = script(
      'process.stdout.write(JSON.stringify({ apiKey: process.env.SECRET, organization: process.env.ORG, project: process.env.PROJECT, expiresAt: process.env.EXPIRES }))',
    );
    const source = fromCommand(command, args, {
      env: { SECRET: key, ORG: organization, PROJECT: project, EXPIRES: expiresAt },
      fields: ['apiKey', 'organization', 'project'],
    });
    const credentials = await createResolver({ sources: [source] }).resolve();
    expect(credentials.apiKey === key).toBe(true);
    expect(credentials.organization).toBe(organization);
    expect(credentials.project).toBe(project);
    expect(credentials.expiresAt).toBe(Date.parse(expiresAt));
  });

  it('output starting with "{" that is not JSON → provider_failed that does not quote it', async () => {
    const key = fakeKey('project');
    const [command, args] = script('process.stdout.write("{ apiKey: " + process.env.SECRET)');
    const error = await failure(
      createResolver({ provider: fromCommand(command, args, { env: { SECRET: key } }) }).resolve(),
    );
    expect(error.code).toBe('provider_failed');
    expect(error.message).toContain('not valid JSON');
    assertNoLeak({ errors: [error] }, [key]);
  });

  it('a non-zero exit → provider_failed naming the command and its exit code', async () => {
    const [command, args] = script('console.error("vault: permission denied"); process.exit(3)');
    const error = await failure(createResolver({ provider: fromCommand(command, args) }).resolve());
    expect(error.code).toBe('provider_failed');
    expect(error.details.exitCode).toBe(3);
    expect(error.details.command).toBe(node);
    expect(error.message).toContain('exited with code 3');
    expect(error.message).toContain('vault: permission denied');
  });

  it('stderr holding the key (or what stdout printed) is never echoed; long stderr is truncated', async () => {
    const key = fakeKey('project');
    const opaque = 'opaque-token-of-unknown-shape-4711';
    const [command, args] = script(
      'console.log(process.env.OPAQUE); console.error("bad key " + process.env.SECRET + " / " + process.env.OPAQUE + " " + "x".repeat(5000)); process.exit(1)',
    );
    const error = await failure(
      createResolver({
        provider: fromCommand(command, args, { env: { SECRET: key, OPAQUE: opaque } }),
      }).resolve(),
    );
    expect(error.code).toBe('provider_failed');
    expect(error.message).toContain('bad key sk-proj-…');
    expect(error.message).not.toContain(opaque);
    expect(error.message.length).toBeLessThan(600);
    assertNoLeak({ errors: [error] }, [key, opaque]);
  });

  it('a command that hangs → provider_timeout at timeoutMs, and the command is killed', async () => {
    await withSecretFile('', async (_, directory) => {
      const pidFile = join(directory, 'pid');
      const [command, args] = script(
        'require("fs").writeFileSync(process.env.PID_FILE, String(process.pid)); setInterval(() => {}, 1000)',
      );
      const started = Date.now();
      const error = await failure(
        createResolver({
          provider: fromCommand(command, args, { timeoutMs: 500, env: { PID_FILE: pidFile } }),
        }).resolve(),
      );
      expect(error.code).toBe('provider_timeout');
      expect(Date.now() - started).toBeLessThan(3000);
      const pid = Number(await readFile(pidFile, 'utf8'));
      expect(await waitFor(() => !isAlive(pid), 3000)).toBe(true);
    });
  });

  it('a command that ignores SIGTERM is killed with SIGKILL', async () => {
    await withSecretFile('', async (_, directory) => {
      const pidFile = join(directory, 'pid');
      const [command, args] = script(
        'process.on("SIGTERM", () => {}); require("fs").writeFileSync(process.env.PID_FILE, String(process.pid)); setInterval(() => {}, 1000)',
      );
      const error = await failure(
        createResolver({
          provider: fromCommand(command, args, { timeoutMs: 500, env: { PID_FILE: pidFile } }),
        }).resolve(),
      );
      expect(error.code).toBe('provider_timeout');
      const pid = Number(await readFile(pidFile, 'utf8'));
      expect(await waitFor(() => !isAlive(pid), 5000)).toBe(true);
    });
  });

  it('huge output → provider_failed past maxBytes, the command is killed, nothing of it is shown', async () => {
    const key = fakeKey('project');
    const [command, args] = script(
      'const line = process.env.SECRET + "\\n"; const write = () => { while (process.stdout.write(line)); }; process.stdout.on("drain", write); write()',
    );
    const started = Date.now();
    const error = await failure(
      createResolver({ provider: fromCommand(command, args, { env: { SECRET: key } }) }).resolve(),
    );
    expect(error.code).toBe('provider_failed');
    expect(error.message).toContain('more than 65536 bytes');
    expect(Date.now() - started).toBeLessThan(5000);
    assertNoLeak({ errors: [error] }, [key]);
  });

  it('empty output → provider_failed', async () => {
    const [command, args] = script('');
    const error = await failure(createResolver({ provider: fromCommand(command, args) }).resolve());
    expect(error.code).toBe('provider_failed');
    expect(error.message).toContain('printed nothing');
  });

  it('a command that does not exist → provider_failed saying so', async () => {
    const error = await failure(
      createResolver({ provider: fromCommand('openai-auth-no-such-command', ['x']) }).resolve(),
    );
    expect(error.code).toBe('provider_failed');
    expect(error.message).toContain('not found (ENOENT)');
  });

  it('runs without a shell: arguments arrive exactly as given', async () => {
    const tricky = ['$(echo injected)', '; echo nope', '"quoted"', '*'];
    const [command, args] = script(
      'process.stdout.write(Buffer.from(JSON.stringify(process.argv.slice(1))).toString("hex"))',
    );
    // The output is hex, a valid header value: decode it back to see what the command received.
    const credentials = await createResolver({
      provider: fromCommand(command, [...args, ...tricky]),
    }).resolve();
    expect(JSON.parse(Buffer.from(credentials.apiKey, 'hex').toString())).toEqual(tricky);
  });

  it('concurrent first calls share one run, and the result is cached', async () => {
    await withSecretFile('', async (_, directory) => {
      const counter = join(directory, 'runs');
      const key = fakeKey('project');
      const [command, args] = script(
        'require("fs").appendFileSync(process.env.COUNTER, "x"); setTimeout(() => process.stdout.write(process.env.SECRET), 100)',
      );
      const resolver = createResolver({
        provider: fromCommand(command, args, { env: { COUNTER: counter, SECRET: key } }),
      });
      const all = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve()));
      await resolver.resolve();
      expect(new Set(all).size).toBe(1);
      expect(await readFile(counter, 'utf8')).toBe('x');
    });
  });

  it('after invalidate the command runs again (rotation)', async () => {
    await withSecretFile('', async (_, directory) => {
      const counter = join(directory, 'runs');
      const keys = [fakeKey('project'), fakeKey('project')];
      const [command, args] = script(
        'const fs = require("fs"); fs.appendFileSync(process.env.COUNTER, "x"); const n = fs.readFileSync(process.env.COUNTER, "utf8").length; process.stdout.write(process.env["KEY" + n])',
      );
      const resolver = createResolver({
        provider: fromCommand(command, args, { env: { COUNTER: counter, KEY1: keys[0]!, KEY2: keys[1]! } }),
      });
      const first = await resolver.resolve();
      resolver.invalidate(first);
      const second = await resolver.resolve();
      expect(first.apiKey === keys[0]).toBe(true);
      expect(second.apiKey === keys[1]).toBe(true);
    });
  });
});
