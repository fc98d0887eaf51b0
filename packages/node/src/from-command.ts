import { spawn } from 'node:child_process';
import {
  AuthError,
  type CredentialField,
  type CredentialSource,
  fromProvider,
  type ProviderOptions,
  type ProviderValue,
  redactSecrets,
} from '@auth/core';

/** Options of {@link fromCommand}. */
export interface FromCommandOptions {
  /** The command is killed and the load fails with `provider_timeout` after this long. Default 10 s. */
  timeoutMs?: number | undefined;
  /** How long a key is kept when the output gives no `expiresAt`/`ttlMs`. Default 5 minutes. */
  ttlMs?: number | undefined;
  /** Output past this many bytes kills the command and fails the load. Default 64 KiB. */
  maxBytes?: number | undefined;
  /** Extra environment variables for the command, added to `process.env`. */
  env?: Record<string, string> | undefined;
  /** Working directory of the command. */
  cwd?: string | undefined;
  /** The fields the command decides; default `['apiKey']`. Add others when its JSON output has them. */
  fields?: readonly CredentialField[] | undefined;
}

const defaultMaxBytes = 64 * 1024;
// Enough of stderr to say why a command failed; the rest is noise, and may hold more than it should.
const stderrLimit = 4096;
const stderrShown = 300;
const killGraceMs = 2000;

/**
 * A credential process as a source: `pass`, `op read`, `vault kv get -field=…`, `aws secretsmanager
 * get-secret-value --query SecretString --output text`, `gcloud secrets versions access latest`… It runs
 * without a shell (arguments are passed as they are: nothing is expanded or injected), with stdin closed, for
 * at most `timeoutMs` (then it is killed), reading at most `maxBytes`. The output, trimmed, is the key; or a
 * JSON object `{ "apiKey", "organization"?, "project"?, "expiresAt"? (epoch ms or ISO date), "ttlMs"? }`.
 * A non-zero exit is a `provider_failed` error naming the command and its exit code (`details.exitCode`),
 * with a redacted, truncated excerpt of stderr; stdout is never shown. Built on `fromProvider`, so results are
 * cached, concurrent callers share one run, and a failure backs off briefly.
 *
 * Arguments are visible to every user of the machine (`ps`): never put a secret in them.
 *
 * @example
 * const resolver = createResolver({ provider: fromCommand('op', ['read', 'op://Private/OpenAI/credential']) });
 */
export function fromCommand(
  command: string,
  args: readonly string[] = [],
  options: FromCommandOptions = {},
): CredentialSource {
  const label = describe(command, args);
  const providerOptions: ProviderOptions = {
    name: `command ${label}`,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  if (options.ttlMs !== undefined) providerOptions.ttlMs = options.ttlMs;
  if (options.fields !== undefined) providerOptions.fields = options.fields;
  return fromProvider(
    async ({ signal }) => parseOutput(await run(command, args, options, label, signal), label),
    providerOptions,
  );
}

interface Output {
  stdout: string;
}

function run(
  command: string,
  args: readonly string[],
  options: FromCommandOptions,
  label: string,
  signal: AbortSignal,
): Promise<Output> {
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  return new Promise<Output>((resolve, reject) => {
    signal.throwIfAborted();
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      shell: false,
      windowsHide: true,
    });
    const stdout: Uint8Array[] = [];
    let stdoutBytes = 0;
    const stderr: Uint8Array[] = [];
    let stderrBytes = 0;
    let settled = false;

    const kill = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // A command that ignores SIGTERM still goes; unref'd so it never holds the process open.
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, killGraceMs).unref();
    };
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      outcome();
    };
    const stop = (error: unknown) => {
      kill();
      // A grandchild may still hold the pipes open: stop listening rather than wait for it.
      child.stdout.destroy();
      child.stderr.destroy();
      settle(() => reject(error));
    };
    const onAbort = () => stop(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Uint8Array) => {
      stdoutBytes += chunk.byteLength;
      if (stdoutBytes > maxBytes) {
        stop(
          new AuthError(
            'provider_failed',
            `The command ${label} printed more than ${maxBytes} bytes; it must print only the key (or a small JSON object).`,
            { details: { command, maxBytes } },
          ),
        );
      } else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Uint8Array) => {
      if (stderrBytes < stderrLimit) stderr.push(chunk.subarray(0, stderrLimit - stderrBytes));
      stderrBytes += chunk.byteLength;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      stop(
        new AuthError(
          'provider_failed',
          `The command ${label} could not be started: ${describeSpawnError(error)}.`,
          {
            cause: error,
            details: { command, errno: error.code },
          },
        ),
      );
    });
    child.on('close', (exitCode, exitSignal) => {
      settle(() => {
        const out = decode(stdout);
        if (exitCode === 0) {
          resolve({ stdout: out });
          return;
        }
        // What the command printed on stdout is probably the secret: redact it from stderr by value too.
        const excerpt = excerptOf(decode(stderr), out, stderrBytes > stderrLimit);
        const how =
          exitCode === null ? `was killed by ${exitSignal ?? 'a signal'}` : `exited with code ${exitCode}`;
        const details: Record<string, string | number> = { command };
        if (exitCode !== null) details.exitCode = exitCode;
        if (exitSignal !== null) details.signal = exitSignal;
        reject(new AuthError('provider_failed', `The command ${label} ${how}${excerpt}`, { details }));
      });
    });
  });
}

function parseOutput({ stdout }: Output, label: string): ProviderValue {
  const text = stdout.trim();
  if (text === '') {
    throw new AuthError('provider_failed', `The command ${label} printed nothing; it must print the key.`);
  }
  if (!text.startsWith('{')) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input, which is the secret: say only what went wrong.
    throw new AuthError(
      'provider_failed',
      `The command ${label} printed text starting with "{" that is not valid JSON; print the key alone or a JSON object with "apiKey".`,
    );
  }
  const record = parsed as Record<string, unknown>;
  const value: Extract<ProviderValue, object> = {
    apiKey: typeof record.apiKey === 'string' ? record.apiKey : '',
  };
  for (const field of ['organization', 'project', 'baseURL'] as const) {
    const raw = record[field];
    if (typeof raw === 'string') value[field] = raw;
  }
  if (typeof record.expiresAt === 'number') value.expiresAt = record.expiresAt;
  else if (typeof record.expiresAt === 'string') {
    const time = Date.parse(record.expiresAt);
    if (Number.isNaN(time)) {
      throw new AuthError('provider_failed', `The command ${label} printed an expiresAt that is not a date.`);
    }
    value.expiresAt = time;
  }
  if (typeof record.ttlMs === 'number' && Number.isFinite(record.ttlMs) && record.ttlMs > 0)
    value.ttlMs = record.ttlMs;
  return value;
}

function excerptOf(stderr: string, stdout: string, cut: boolean): string {
  const secrets = [stdout.trim(), ...stdout.split(/\r?\n/).map((line) => line.trim())];
  const text = redactSecrets(stderr, secrets).replace(/\s+/g, ' ').trim();
  if (text === '') return '.';
  const shown = text.length > stderrShown || cut ? `${text.slice(0, stderrShown)}…` : text;
  return `: ${shown}`;
}

function decode(chunks: readonly Uint8Array[]): string {
  return Buffer.concat(chunks).toString('utf8');
}

function describe(command: string, args: readonly string[]): string {
  const text = [command, ...args]
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part)))
    .join(' ');
  return redactSecrets(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

function describeSpawnError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'not found (ENOENT); check the name and PATH';
    case 'EACCES':
      return 'not executable (EACCES)';
    default:
      return error.code ?? error.name;
  }
}
