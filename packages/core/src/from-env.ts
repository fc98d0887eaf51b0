import { AuthError } from './auth-error.ts';
import {
  type CredentialSource,
  type EnvReader,
  envNames,
  type FieldReading,
  fileEnvNames,
} from './credential-source.ts';
import { readingOf } from './from-values.ts';
import { redactSecrets } from './redact-secrets.ts';
import { type CredentialField, credentialFields } from './validate-credential-value.ts';

/**
 * Environment variables `OPENAI_API_KEY`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`, `OPENAI_BASE_URL`. An env that
 * cannot be read (Deno without `--allow-env`, a Worker) is reported, never a crash. A variable set together
 * with its `_FILE` twin is a `conflicting_sources` error: guessing which one wins hides mistakes.
 *
 * @example
 * fromEnv((name) => env[name]); // `env`: a Worker's bindings, or any record of variables
 */
export function fromEnv(readEnv: EnvReader, name = 'env'): CredentialSource {
  return {
    name,
    fields: credentialFields,
    read(request) {
      const fields: Partial<Record<CredentialField, FieldReading>> = {};
      for (const field of request.fields) fields[field] = readVariable(readEnv, field, false);
      return { fields };
    },
  };
}

/**
 * Reads the variable of `field`, or with `file` its `_FILE` twin (whose value is a path). An env that refuses
 * the read gives an absent reading that says why; a value while the twin is set too gives a conflict error.
 * Shared with {@link fromSecretFiles}, so both sides of a pair follow the same rules.
 */
export function readVariable(readEnv: EnvReader, field: CredentialField, file: boolean): FieldReading {
  const plain = envNames[field];
  const twin = fileEnvNames[field];
  const variable = file ? (twin as string) : plain;
  const origin = `env ${variable}`;
  let value: unknown;
  try {
    value = readEnv(variable);
  } catch (error) {
    const reason = (error as Error | undefined)?.name ?? 'error';
    return {
      status: 'absent',
      origin,
      detail: redactSecrets(
        `env not readable (${variable}): ${reason}; on Deno run with --allow-env=${variable}`,
      ),
    };
  }
  if (typeof value !== 'string') return { status: 'absent', origin, detail: 'not set' };
  const reading = readingOf(field, value, origin);
  if (reading.status !== 'found' || twin === undefined || !isSet(readEnv, file ? plain : twin))
    return reading;
  const error = new AuthError('conflicting_sources', `${plain} and ${twin} are both set: unset one.`, {
    details: { variable: plain, twin },
  });
  return { status: 'error', origin, error };
}

function isSet(readEnv: EnvReader, variable: string): boolean {
  try {
    const value = readEnv(variable);
    return typeof value === 'string' && value.trim() !== '';
  } catch {
    // A twin the env refuses to show cannot be in conflict.
    return false;
  }
}
