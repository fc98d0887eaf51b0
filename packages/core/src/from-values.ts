import type { CredentialSource, FieldReading, SourceReading } from './credential-source.ts';
import type { CredentialField } from './validate-credential-value.ts';
import { validateCredentialValue } from './validate-credential-value.ts';

/** Explicit values. `null` means "unset, and look no further"; `undefined` means "not given here". */
export interface CredentialValues {
  apiKey?: string | null | undefined;
  organization?: string | null | undefined;
  project?: string | null | undefined;
  baseURL?: string | null | undefined;
}

const allFields: readonly CredentialField[] = ['apiKey', 'organization', 'project', 'baseURL'];

/**
 * A source of explicit values, usually the options a program passes. Values are trimmed; empty means unset.
 *
 * @example
 * createResolver({ sources: [fromValues({ apiKey: key, organization: null })] });
 */
export function fromValues(values: CredentialValues, name = 'options'): CredentialSource {
  const fields: Partial<Record<CredentialField, FieldReading>> = {};
  for (const field of allFields) {
    const value = values[field];
    const origin = `${name}.${field}`;
    if (value === undefined) fields[field] = { status: 'absent', origin, detail: 'not given' };
    else if (value === null) fields[field] = { status: 'stop', origin };
    else fields[field] = readingOf(field, value, origin);
  }
  const reading: SourceReading = { fields };
  return { name, fields: allFields, read: () => reading };
}

/** Trims a raw value and turns it into a reading: empty means absent, and non-strings are errors. */
export function readingOf(field: CredentialField, raw: unknown, origin: string): FieldReading {
  if (typeof raw !== 'string') {
    try {
      validateCredentialValue(field, raw, origin);
    } catch (error) {
      return { status: 'error', origin, error: error as never };
    }
  }
  const value = (raw as string).trim();
  if (value === '') return { status: 'absent', origin, detail: raw === '' ? 'empty' : 'blank' };
  return { status: 'found', value, origin };
}
