import { AuthError } from './auth-error.ts';
import {
  type CredentialSource,
  type EnvReader,
  envNames,
  type FieldReading,
  fileEnvNames,
} from './credential-source.ts';
import { readingOf } from './from-values.ts';
import type { CredentialField } from './validate-credential-value.ts';

const fields: readonly CredentialField[] = ['apiKey', 'organization', 'project', 'baseURL'];

/**
 * Environment variables `OPENAI_API_KEY`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`, `OPENAI_BASE_URL`. An env that
 * cannot be read (Deno without `--allow-env`, a Worker) is reported, never a crash. A variable set together
 * with its `_FILE` twin is a `conflicting_sources` error: guessing which one wins hides mistakes.
 *
 * @example
 * fromEnv((name) => process.env[name]);
 */
export function fromEnv(readEnv: EnvReader, name = 'env'): CredentialSource {
  return {
    name,
    fields,
    read(request) {
      const out: Partial<Record<CredentialField, FieldReading>> = {};
      for (const field of request.fields) out[field] = readField(readEnv, field);
      return { fields: out };
    },
  };
}

function readField(readEnv: EnvReader, field: CredentialField): FieldReading {
  const variable = envNames[field];
  const origin = `env ${variable}`;
  const value = safeRead(readEnv, variable);
  if (value instanceof AuthError) return { status: 'absent', origin, detail: value.message };
  const reading = readingOf(field, value ?? '', origin);
  if (value === undefined && reading.status === 'absent') return { ...reading, detail: 'not set' };
  const twin = fileEnvNames[field];
  if (reading.status === 'found' && twin !== undefined) {
    const twinValue = safeRead(readEnv, twin);
    if (typeof twinValue === 'string' && twinValue.trim() !== '') {
      return { status: 'error', origin, error: conflict(variable, twin) };
    }
  }
  return reading;
}

/** Reads a variable; a refusal becomes a `source_unreadable` error value (returned, not thrown). */
export function safeRead(readEnv: EnvReader, variable: string): string | undefined | AuthError {
  try {
    const value = readEnv(variable);
    return typeof value === 'string' ? value : undefined;
  } catch (error) {
    return new AuthError(
      'source_unreadable',
      `env not readable (${variable}): ${(error as { name?: string })?.name ?? 'error'}; on Deno run with --allow-env=${variable}`,
      { cause: error, details: { variable } },
    );
  }
}

/** The error for a variable set together with its `_FILE` twin. */
export function conflict(variable: string, twin: string): AuthError {
  return new AuthError(
    'conflicting_sources',
    `Both ${variable} and ${twin} are set. Keep one: ${variable} for the value itself, or ${twin} for the path of a file that holds it.`,
    { details: { variable, twin } },
  );
}
