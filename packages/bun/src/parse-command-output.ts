import { AuthError, type ProviderValue, redactSecrets } from '@auth/core';

/*
 * The runtime-neutral half of `fromCommand`, the same in @auth/node, @auth/deno and @auth/bun (a candidate
 * for core): how a command is named in messages, how its stdout becomes a provider value, and how a failure
 * is told without ever quoting stdout, quoting stderr only redacted and truncated.
 */

const stderrShown = 300;

/** The command line as messages show it: quoted where needed, cut at 120 characters, key shapes masked. */
export function describeCommand(command: string, args: readonly string[]): string {
  const text = [command, ...args]
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part)))
    .join(' ');
  return redactSecrets(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/**
 * A credential process's stdout, trimmed: the key alone, or a JSON object
 * `{ "apiKey", "organization"?, "project"?, "baseURL"?, "expiresAt"? (epoch ms or ISO date), "ttlMs"? }`.
 */
export function parseCommandOutput(stdout: string, label: string): ProviderValue {
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

/** How the process ended, for a command that did not succeed. */
export interface CommandExit {
  code: number | null;
  signal: string | null;
}

/**
 * The `provider_failed` error of a command that exited unsuccessfully: it names the command and the exit code
 * (`details.exitCode`) and shows an excerpt of stderr with key shapes, and whatever stdout held, masked.
 */
export function commandFailed(
  command: string,
  label: string,
  exit: CommandExit,
  stderr: string,
  stdout: string,
  stderrCut: boolean,
): AuthError {
  const how =
    exit.code === null ? `was killed by ${exit.signal ?? 'a signal'}` : `exited with code ${exit.code}`;
  const details: Record<string, string | number> = { command };
  if (exit.code !== null) details.exitCode = exit.code;
  if (exit.signal !== null) details.signal = exit.signal;
  return new AuthError(
    'provider_failed',
    `The command ${label} ${how}${excerptOf(stderr, stdout, stderrCut)}`,
    {
      details,
    },
  );
}

function excerptOf(stderr: string, stdout: string, cut: boolean): string {
  // What the command printed on stdout is probably the secret: redact it from stderr by value too.
  const secrets = [stdout.trim(), ...stdout.split(/\r?\n/).map((line) => line.trim())];
  const text = redactSecrets(stderr, secrets).replace(/\s+/g, ' ').trim();
  if (text === '') return '.';
  const shown = text.length > stderrShown || cut ? `${text.slice(0, stderrShown)}…` : text;
  return `: ${shown}`;
}
