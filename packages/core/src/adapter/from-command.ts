import { AuthError } from '../auth-error.ts';
import type { CredentialSource } from '../credential-source.ts';
import { fromProvider, type ProviderOptions, type ProviderValue } from '../from-provider.ts';
import { redactSecrets } from '../redact-secrets.ts';
import type { FromCommandOptions } from './auth-options.ts';
import type { CommandRequest, CommandResult, CommandRunner } from './runtime-ports.ts';

const defaultMaxBytes = 64 * 1024;
// Enough of stderr to say why a command failed; the rest is noise, and may hold more than it should.
const stderrLimit = 4096;
const stderrShown = 300;

/**
 * A credential process as a source, run by the runtime's `runCommand`: `pass`, `op read`, `vault kv get
 * -field=…`, `aws secretsmanager get-secret-value --query SecretString --output text`… No shell (arguments
 * are passed as they are), at most `timeoutMs` (then the command is stopped), at most `maxBytes` read. The
 * output, trimmed, is the key; or a JSON object `{ "apiKey", "organization"?, "project"?, "baseURL"?,
 * "expiresAt"? (epoch ms or ISO date), "ttlMs"? }`. A non-zero exit is a `provider_failed` error naming the
 * command and its exit code (`details.exitCode`), with a redacted, truncated excerpt of stderr; stdout is
 * never shown. Built on `fromProvider`: cached, single-flight, brief back-off on failure.
 *
 * @example
 * const source = fromCommand(runCommand, 'op', ['read', 'op://Private/OpenAI/credential']);
 */
export function fromCommand(
  runCommand: CommandRunner,
  command: string,
  args: readonly string[] = [],
  options: FromCommandOptions = {},
): CredentialSource {
  const label = describeCommand(command, args);
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  const providerOptions: ProviderOptions = {
    name: `command ${label}`,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  if (options.ttlMs !== undefined) providerOptions.ttlMs = options.ttlMs;
  if (options.fields !== undefined) providerOptions.fields = options.fields;
  return fromProvider(async ({ signal }) => {
    const request: CommandRequest = {
      command,
      args,
      env: options.env,
      cwd: options.cwd,
      maxBytes,
      maxStderrBytes: stderrLimit,
      signal,
    };
    let result: CommandResult;
    try {
      result = await runCommand(request);
    } catch (error) {
      if (signal.aborted || AuthError.is(error)) throw error;
      throw notStarted(command, label, error);
    }
    if (result.truncated) {
      throw new AuthError(
        'provider_failed',
        `The command ${label} printed more than ${maxBytes} bytes; it must print only the key (or a small JSON object).`,
        { details: { command, maxBytes } },
      );
    }
    if (result.exitCode !== 0) throw commandFailed(command, label, result);
    return parseCommandOutput(result.stdout, label);
  }, providerOptions);
}

/** The command line as messages show it: quoted where needed, cut at 120 characters, key shapes masked. */
function describeCommand(command: string, args: readonly string[]): string {
  const text = [command, ...args]
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part)))
    .join(' ');
  return redactSecrets(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/** A credential process's stdout, trimmed: the key alone, or a JSON object with `apiKey` and companions. */
function parseCommandOutput(stdout: string, label: string): ProviderValue {
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

/**
 * The `provider_failed` error of a command that exited unsuccessfully: it names the command and the exit code
 * (`details.exitCode`) and shows an excerpt of stderr with key shapes, and whatever stdout held, masked.
 */
function commandFailed(command: string, label: string, result: CommandResult): AuthError {
  const how =
    result.exitCode === null
      ? `was killed by ${result.signal ?? 'a signal'}`
      : `exited with code ${result.exitCode}`;
  const details: Record<string, string | number> = { command };
  if (result.exitCode !== null) details.exitCode = result.exitCode;
  if (result.signal !== null) details.signal = result.signal;
  return new AuthError('provider_failed', `The command ${label} ${how}${excerptOf(result)}`, { details });
}

function excerptOf({ stderr, stdout, stderrTruncated }: CommandResult): string {
  // What the command printed on stdout is probably the secret: redact it from stderr by value too.
  const secrets = [stdout.trim(), ...stdout.split(/\r?\n/).map((line) => line.trim())];
  const text = redactSecrets(stderr, secrets).replace(/\s+/g, ' ').trim();
  if (text === '') return '.';
  const shown = text.length > stderrShown || stderrTruncated ? `${text.slice(0, stderrShown)}…` : text;
  return `: ${shown}`;
}

// Start failures as people say them; any other code is shown as it is.
const startProblems = new Map<unknown, string>([
  ['ENOENT', 'not found (ENOENT); check the name and PATH'],
  ['EACCES', 'not executable (EACCES)'],
]);

function notStarted(command: string, label: string, error: unknown): AuthError {
  const { code, reason, name } = (error ?? {}) as { code?: unknown; reason?: unknown; name?: unknown };
  const details: Record<string, string> = { command };
  if (typeof code === 'string') details.errno = code;
  const problem =
    typeof reason === 'string'
      ? reason
      : (startProblems.get(code) ??
        (typeof code === 'string' ? code : typeof name === 'string' ? name : 'unknown error'));
  return new AuthError('provider_failed', `The command ${label} could not be started: ${problem}.`, {
    cause: error,
    details,
  });
}
