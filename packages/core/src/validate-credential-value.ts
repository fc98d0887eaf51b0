import { AuthError } from './auth-error.ts';

/** The fields a credential set is made of, in the order they are reported. */
export type CredentialField = 'apiKey' | 'organization' | 'project' | 'baseURL';

// Visible ASCII only: anything else is either invalid in a header (CR, LF, NUL, non-Latin-1) or a sign of a
// copy-paste accident (space, tab, a second line) that would otherwise surface as a 401 far from its cause.
const visibleAscii = /^[\x21-\x7e]+$/;
// IDs are sent as single header values: a comma would read as a list on the wire.
const visibleAsciiNoComma = /^[\x21-\x2b\x2d-\x7e]+$/;
const maxLength = 1024;

/**
 * Checks one credential value before it can reach a `Headers` object, whose own error would quote the value.
 * Returns the value; throws an {@link AuthError} that says what is wrong and where, never the value itself.
 */
export function validateCredentialValue(field: CredentialField, value: unknown, origin: string): string {
  const label = field === 'apiKey' ? 'API key' : field === 'organization' ? 'organization ID' : 'project ID';
  if (typeof value !== 'string') {
    throw new AuthError(
      'invalid_credentials',
      `The ${label} from ${origin} must be a string, got ${value === null ? 'null' : typeof value}.`,
      { details: { field, origin } },
    );
  }
  const pattern = field === 'apiKey' ? visibleAscii : visibleAsciiNoComma;
  if (value.length <= maxLength && pattern.test(value)) return value;
  throw new AuthError('invalid_credentials', `The ${label} from ${origin} ${describeProblem(value)}.`, {
    details: { field, origin },
  });
}

function describeProblem(value: string): string {
  if (value.length === 0) return 'is empty';
  if (value.length > maxLength) return `is longer than ${maxLength} characters; is it the right value?`;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    const where = `at position ${index + 1} of ${value.length}`;
    if (code === 0x0a || code === 0x0d)
      return `has a line break ${where}: a secret file or variable must hold one line`;
    if (code === 0) return `has a NUL character ${where}`;
    if (code === 0x20 || code === 0x09)
      return `has whitespace ${where}: remove it, values are trimmed only at the ends`;
    if (code < 0x20 || code === 0x7f) return `has a control character ${where}`;
    if (code > 0x7e)
      return `has a non-ASCII character ${where}: check for a smart quote or a look-alike letter`;
    if (code === 0x2c) return `has a comma ${where}: give one ID, not a list`;
  }
  return 'is not a valid header value';
}
