import type { CommandResult, CommandRunner } from './runtime-ports.ts';

/** How a spawned process ended: the exit code, or `null` and the signal that ended it. */
export interface CommandExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
}

/** A process the runtime started, with its output as Web streams. */
export interface SpawnedCommand {
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  /** Settles when the process has ended; rejects when it could not be started after all (Node's `error`). */
  readonly exited: Promise<CommandExit>;
  /** Sends a signal; does nothing (and never throws) once the process is gone. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/**
 * Starts a command with stdin closed and stdout/stderr piped, without a shell, with `env` added to the
 * inherited environment. Throws when it cannot start: an error with a `code` (`ENOENT`, `EACCES`…) or a
 * `reason` in words.
 */
export type SpawnCommand = (
  command: string,
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>> | undefined; cwd?: string | undefined },
) => SpawnedCommand;

/** Options of {@link createCommandRunner}. */
export interface CommandRunnerOptions {
  /** Time between SIGTERM and SIGKILL for a command that is stopped. Default 2 s. */
  killGraceMs?: number | undefined;
  /**
   * Keeps the grace timer from holding the process open. Default: the timer's own `unref()` where it has one
   * (Node, Bun); Deno passes its own `unrefTimer`.
   */
  unrefTimer?: ((timer: ReturnType<typeof setTimeout>) => void) | undefined;
}

/**
 * The {@link CommandRunner} port on top of a runtime's spawn: reads stdout up to `maxBytes` (past it the
 * command is stopped) and stderr up to `maxStderrBytes` (the rest is drained and dropped), and on abort
 * stops the command (SIGTERM, then SIGKILL after a grace period) and rejects with the signal's reason.
 *
 * @example
 * const runCommand = createCommandRunner((command, args, { env, cwd }) => spawnWithTheRuntime(command, args, env, cwd));
 */
export function createCommandRunner(spawn: SpawnCommand, options: CommandRunnerOptions = {}): CommandRunner {
  const killGraceMs = options.killGraceMs ?? 2000;
  const unrefTimer =
    options.unrefTimer ?? ((timer) => (timer as unknown as { unref?: () => void }).unref?.());
  return async (request) => {
    const { signal } = request;
    signal.throwIfAborted();
    const child = spawn(request.command, request.args, { env: request.env, cwd: request.cwd });
    let ended = false;
    const exited = child.exited.then(
      (exit) => {
        ended = true;
        return exit;
      },
      (error: unknown) => {
        ended = true;
        throw error;
      },
    );
    let stopped = false;
    // SIGTERM first, so a credential helper can clean up; SIGKILL after the grace period if it is still there.
    const stop = () => {
      if (stopped) return;
      stopped = true;
      if (!ended) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!ended) child.kill('SIGKILL');
        }, killGraceMs);
        unrefTimer(timer);
        const clear = () => clearTimeout(timer);
        void exited.then(clear, clear);
      }
      // A grandchild may still hold the pipes open: stop reading rather than wait for it.
      void stdout.cancel();
      void stderr.cancel();
    };
    const stdout = drain(child.stdout, request.maxBytes, stop);
    const stderr = drain(child.stderr, request.maxStderrBytes);
    signal.addEventListener('abort', stop, { once: true });
    try {
      const [out, err, exit] = await Promise.all([stdout.text, stderr.text, exited]);
      signal.throwIfAborted();
      const result: CommandResult = {
        exitCode: exit.exitCode,
        signal: exit.signal,
        stdout: out,
        stderr: err,
        truncated: stdout.cut(),
        stderrTruncated: stderr.cut(),
      };
      return result;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  };
}

interface Drained {
  /** The text read, at most the limit; settles when the pipe ends or is cancelled. */
  text: Promise<string>;
  /** True when more than the limit was written. */
  cut(): boolean;
  cancel(): Promise<void>;
}

/**
 * Reads a pipe to its end, keeping at most `limit` bytes. Past the limit, `onOverflow` runs if given; without
 * it the rest is read and dropped, so the process never blocks on a full pipe.
 */
function drain(stream: ReadableStream<Uint8Array>, limit: number, onOverflow?: () => void): Drained {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const text = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done || value === undefined) break;
      if (size < limit) chunks.push(value.subarray(0, limit - size));
      size += value.byteLength;
      if (size > limit && onOverflow) {
        onOverflow();
        break;
      }
    }
    const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return new TextDecoder().decode(bytes);
  })();
  return { text, cut: () => size > limit, cancel: () => reader.cancel().catch(() => undefined) };
}
