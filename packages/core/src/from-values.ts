import type { AuthError } from './auth-error.ts';
import type { CredentialSource, FieldReading, SourceReading } from './credential-source.ts';
import {
  type CredentialField,
  credentialFields,
  validateCredentialValue,
} from './validate-credential-value.ts';

/** Explicit values. `null` means "unset, and look no further"; `undefined` means "not given here". */
export interface CredentialValues {
  apiKey?: string | null | undefined;
  organization?: string | null | undefined;
  project?: string | null | undefined;
  baseURL?: string | null | undefined;
}

/**
 * A source of explicit values, usually the options a program passes. Values are trimmed; empty means unset.
 *
 * @example
 * createResolver({ sources: [fromValues({ apiKey: key, organization: null })] });
 */
export function fromValues(values: CredentialValues, name = 'options'): CredentialSource {
  const fields: Partial<Record<CredentialField, FieldReading>> = {};
  for (const field of credentialFields) {
    const value = values[field];
    const origin = `${name}.${field}`;
    fields[field] =
      value === undefined
        ? { status: 'absent', origin, detail: 'not given' }
        : value === null
          ? { status: 'stop', origin }
          : readingOf(field, value, origin);
  }
  const reading: SourceReading = { fields };
  return { name, fields: credentialFields, read: () => reading };
}

/** Trims a raw value and turns it into a reading: empty means absent, and non-strings are errors. */
export function readingOf(field: CredentialField, raw: unknown, origin: string): FieldReading {
  if (typeof raw !== 'string') {
    try {
      validateCredentialValue(field, raw, origin);
    } catch (error) {
      return { status: 'error', origin, error: error as AuthError };
    }
  }
  const value = (raw as string).trim();
  if (value === '') return { status: 'absent', origin, detail: raw === '' ? 'empty' : 'blank' };
  return { status: 'found', value, origin };
}
