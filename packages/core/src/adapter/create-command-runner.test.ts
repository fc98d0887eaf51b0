import { describe, expect, it } from 'vitest';
import { type CommandExit, createCommandRunner, type SpawnCommand } from './create-command-runner.ts';
import type { CommandRequest } from './runtime-ports.ts';

/*
 * The runner over a scripted process: Web streams the test writes to, an exit the test decides, and a log of
 * the signals sent. What every runtime's real process does is covered by the adapters' own suites.
 */

interface FakeProcess {
  write(stream: 'stdout' | 'stderr', text: string): void;
  end(exit: CommandExit): void;
  readonly signals: string[];
  readonly spawned: { command: string; args: readonly string[]; options: object }[];
}

function fakeSpawn(options: { ignoreTerm?: boolean } = {}): { spawn: SpawnCommand; process: FakeProcess } {
  const encoder = new TextEncoder();
  let controllers: Record<'stdout' | 'stderr', ReadableStreamDefaultController<Uint8Array>> | undefined;
  let finish: ((exit: CommandExit) => void) | undefined;
  const signals: string[] = [];
  const spawned: FakeProcess['spawned'] = [];
  let ended = false;
  const end = (exit: CommandExit) => {
    if (ended) return;
    ended = true;
    for (const controller of Object.values(controllers ?? {})) {
      try {
        controller.close();
      } catch {
        // Cancelled by the reader.
      }
    }
    finish?.(exit);
  };
  const spawn: SpawnCommand = (command, args, spawnOptions) => {
    spawned.push({ command, args, options: spawnOptions });
    const made: Partial<Record<'stdout' | 'stderr', ReadableStreamDefaultController<Uint8Array>>> = {};
    const stream = (name: 'stdout' | 'stderr') =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          made[name] = controller;
        },
      });
    const stdout = stream('stdout');
    const stderr = stream('stderr');
    controllers = made as Record<'stdout' | 'stderr', ReadableStreamDefaultController<Uint8Array>>;
    return {
      stdout,
      stderr,
      exited: new Promise<CommandExit>((resolve) => {
        finish = resolve;
      }),
      kill(signal) {
        if (ended) return;
        signals.push(signal);
        if (signal === 'SIGKILL' || !options.ignoreTerm) end({ exitCode: null, signal });
      },
    };
  };
  const process: FakeProcess = {
    write: (name, text) => controllers?.[name].enqueue(encoder.encode(text)),
    end,
    signals,
    spawned,
  };
  return { spawn, process };
}

const request = (overrides: Partial<CommandRequest> = {}): CommandRequest => ({
  command: 'cmd',
  args: ['a', 'b c'],
  maxBytes: 64,
  maxStderrBytes: 16,
  signal: new AbortController().signal,
  ...overrides,
});

describe('createCommandRunner', () => {
  it('spawns with args, env and cwd, and returns what the process printed and how it ended', async () => {
    const { spawn, process } = fakeSpawn();
    const run = createCommandRunner(spawn);
    const result = run(request({ env: { A: 'b' }, cwd: '/tmp' }));
    process.write('stdout', 'sk-');
    process.write('stdout', 'value\n');
    process.write('stderr', 'note');
    process.end({ exitCode: 0, signal: null });
    expect(await result).toEqual({
      exitCode: 0,
      signal: null,
      stdout: 'sk-value\n',
      stderr: 'note',
      truncated: false,
      stderrTruncated: false,
    });
    expect(process.spawned).toEqual([
      { command: 'cmd', args: ['a', 'b c'], options: { env: { A: 'b' }, cwd: '/tmp' } },
    ]);
    expect(process.signals).toEqual([]);
  });

  it('stderr past its limit is drained and cut, the process is left to finish', async () => {
    const { spawn, process } = fakeSpawn();
    const result = createCommandRunner(spawn)(request());
    process.write('stderr', 'e'.repeat(10));
    process.write('stderr', 'f'.repeat(10));
    process.write('stderr', 'g'.repeat(1000));
    process.end({ exitCode: 1, signal: null });
    const { stderr, stderrTruncated, exitCode } = await result;
    expect(stderr).toBe(`${'e'.repeat(10)}${'f'.repeat(6)}`);
    expect(stderrTruncated).toBe(true);
    expect(exitCode).toBe(1);
    expect(process.signals).toEqual([]);
  });

  it('stdout past maxBytes stops the process (SIGTERM) and says truncated', async () => {
    const { spawn, process } = fakeSpawn();
    const result = createCommandRunner(spawn)(request());
    process.write('stdout', 'y\n'.repeat(100));
    const { truncated, stdout, signal } = await result;
    expect(truncated).toBe(true);
    expect(stdout.length).toBeLessThanOrEqual(64);
    expect(signal).toBe('SIGTERM');
    expect(process.signals).toEqual(['SIGTERM']);
  });

  it('an abort stops the process and rejects with the reason; SIGKILL follows when SIGTERM is ignored', async () => {
    const { spawn, process } = fakeSpawn({ ignoreTerm: true });
    const controller = new AbortController();
    const result = createCommandRunner(spawn, { killGraceMs: 30 })(request({ signal: controller.signal }));
    const reason = new Error('timed out');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(process.signals).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('an already aborted signal spawns nothing', async () => {
    const { spawn, process } = fakeSpawn();
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(createCommandRunner(spawn)(request({ signal: controller.signal }))).rejects.toThrow('gone');
    expect(process.spawned).toEqual([]);
  });

  it('a spawn that throws, or an exit that rejects, rejects the run with that error', async () => {
    const missing = Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' });
    const throwing: SpawnCommand = () => {
      throw missing;
    };
    await expect(createCommandRunner(throwing)(request())).rejects.toBe(missing);
    const rejecting: SpawnCommand = () => ({
      stdout: new ReadableStream({ start: (controller) => controller.close() }),
      stderr: new ReadableStream({ start: (controller) => controller.close() }),
      exited: Promise.reject(missing),
      kill: () => undefined,
    });
    await expect(createCommandRunner(rejecting)(request())).rejects.toBe(missing);
  });

  it('the SIGKILL grace timer is unref’d, and no SIGKILL follows a process that ended on SIGTERM', async () => {
    const { spawn, process } = fakeSpawn();
    const unrefed: unknown[] = [];
    const controller = new AbortController();
    const run = createCommandRunner(spawn, { killGraceMs: 10, unrefTimer: (timer) => unrefed.push(timer) });
    const result = run(request({ signal: controller.signal }));
    controller.abort(new Error('stop'));
    await expect(result).rejects.toThrow('stop');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(unrefed.length).toBe(1);
    expect(process.signals).toEqual(['SIGTERM']);
  });
});
