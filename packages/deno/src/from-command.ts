import {
  AuthError,
  type CredentialField,
  type CredentialSource,
  fromProvider,
  type ProviderOptions,
} from '@auth/core';
import { commandFailed, describeCommand, parseCommandOutput } from './parse-command-output.ts';

/** Options of {@link fromCommand}. */
export interface FromCommandOptions {
  /** The command is killed and the load fails with `provider_timeout` after this long. Default 10 s. */
  timeoutMs?: number | undefined;
  /** How long a key is kept when the output gives no `expiresAt`/`ttlMs`. Default 5 minutes. */
  ttlMs?: number | undefined;
  /** Output past this many bytes kills the command and fails the load. Default 64 KiB. */
  maxBytes?: number | undefined;
  /** Extra environment variables for the command, added to the inherited environment. */
  env?: Record<string, string> | undefined;
  /** Working directory of the command. */
  cwd?: string | undefined;
  /** The fields the command decides; default `['apiKey']`. Add others when its JSON output has them. */
  fields?: readonly CredentialField[] | undefined;
}

const defaultMaxBytes = 64 * 1024;
// Enough of stderr to say why a command failed; the rest is noise, and may hold more than it should.
const stderrLimit = 4096;
const killGraceMs = 2000;

/**
 * A credential process as a source, run with `Deno.Command`: `pass`, `op read`, `vault kv get -field=…`,
 * `aws secretsmanager get-secret-value --query SecretString --output text`… No shell (arguments are passed
 * as they are: nothing is expanded or injected), stdin closed, at most `timeoutMs` (then SIGTERM, and SIGKILL
 * 2 s later), at most `maxBytes` read. The output, trimmed, is the key; or a JSON object
 * `{ "apiKey", "organization"?, "project"?, "expiresAt"? (epoch ms or ISO date), "ttlMs"? }`. A non-zero exit
 * is a `provider_failed` error naming the command and its exit code, with a redacted, truncated excerpt of
 * stderr; stdout is never shown. Built on `fromProvider`: cached, single-flight, brief back-off on failure.
 * Needs `--allow-run=<command>`; without it the error names that flag.
 *
 * Arguments are visible to every user of the machine (`ps`): never put a secret in them.
 *
 * @example
 * ```ts
 * const provider = fromCommand('op', ['read', 'op://Private/OpenAI/credential']);
 * const resolver = createResolver({ provider });
 * ```
 */
export function fromCommand(
  command: string,
  args: readonly string[] = [],
  options: FromCommandOptions = {},
): CredentialSource {
  const label = describeCommand(command, args);
  const providerOptions: ProviderOptions = {
    name: `command ${label}`,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  if (options.ttlMs !== undefined) providerOptions.ttlMs = options.ttlMs;
  if (options.fields !== undefined) providerOptions.fields = options.fields;
  return fromProvider(
    async ({ signal }) => parseCommandOutput(await run(command, args, options, label, signal), label),
    providerOptions,
  );
}

async function run(
  command: string,
  args: readonly string[],
  options: FromCommandOptions,
  label: string,
  signal: AbortSignal,
): Promise<string> {
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  signal.throwIfAborted();
  const child = spawn(command, args, options, label);
  let overflow = false;
  const stop = () => {
    terminate(child);
    // A grandchild may still hold the pipes open: stop reading rather than wait for it.
    void stdout.cancel();
    void stderr.cancel();
  };
  const stdout = drain(child.stdout, maxBytes, () => {
    overflow = true;
    stop();
  });
  const stderr = drain(child.stderr, stderrLimit);
  signal.addEventListener('abort', stop, { once: true });
  try {
    const [out, err, status] = await Promise.all([stdout.text, stderr.text, child.status]);
    signal.throwIfAborted();
    if (overflow) {
      throw new AuthError(
        'provider_failed',
        `The command ${label} printed more than ${maxBytes} bytes; it must print only the key (or a small JSON object).`,
        { details: { command, maxBytes } },
      );
    }
    if (!status.success) {
      throw commandFailed(
        command,
        label,
        { code: status.signal ? null : status.code, signal: status.signal },
        err,
        out,
        stderr.cut(),
      );
    }
    return out;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

function spawn(
  command: string,
  args: readonly string[],
  options: FromCommandOptions,
  label: string,
): Deno.ChildProcess {
  const commandOptions: Deno.CommandOptions = {
    args: [...args],
    stdin: 'null',
    stdout: 'piped',
    stderr: 'piped',
  };
  // Deno adds these to the inherited environment (clearEnv is false).
  if (options.env !== undefined) commandOptions.env = options.env;
  if (options.cwd !== undefined) commandOptions.cwd = options.cwd;
  try {
    return new Deno.Command(command, commandOptions).spawn();
  } catch (error) {
    const reason =
      error instanceof Deno.errors.NotCapable
        ? `not allowed; run Deno with --allow-run=${command}`
        : error instanceof Deno.errors.NotFound
          ? 'not found (ENOENT); check the name and PATH'
          : error instanceof Deno.errors.PermissionDenied
            ? 'not executable (EACCES)'
            : ((error as { code?: string }).code ?? (error as Error).name);
    throw new AuthError('provider_failed', `The command ${label} could not be started: ${reason}.`, {
      cause: error,
      details: { command },
    });
  }
}

/** SIGTERM first, so a credential helper can clean up; SIGKILL after a grace period if it is still there. */
function terminate(child: Deno.ChildProcess): void {
  try {
    child.kill('SIGTERM');
  } catch {
    return; // Already exited.
  }
  const timer = setTimeout(() => {
    try {
      child.kill('SIGKILL');
    } catch {
      // Exited within the grace period.
    }
  }, killGraceMs);
  // The grace timer must not keep Deno alive, and is moot once the process is gone.
  Deno.unrefTimer(timer);
  void child.status.then(() => clearTimeout(timer));
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
