import { AuthError } from './auth-error.ts';

/** The fields a credential set is made of, in the order they are reported. */
export type CredentialField = 'apiKey' | 'organization' | 'project' | 'baseURL';

/** Every {@link CredentialField}, in that order. */
export const credentialFields: readonly CredentialField[] = ['apiKey', 'organization', 'project', 'baseURL'];

// Anything but visible ASCII is either invalid in a header (CR, LF, NUL, non-Latin-1) or a sign of a copy-paste
// accident (space, tab, a second line) that would otherwise surface as a 401 far from its cause.
const invalidInKey = /[^\x21-\x7e]/;
// IDs are sent as single header values: a comma would read as a list on the wire.
const invalidInId = /[^\x21-\x2b\x2d-\x7e]/;
const maxLength = 1024;

/**
 * Checks one credential value before it can reach a `Headers` object, whose own error would quote the value.
 * Returns the value; throws an {@link AuthError} that says what is wrong and where, never the value itself.
 */
export function validateCredentialValue(field: CredentialField, value: unknown, origin: string): string {
  let problem: string;
  if (typeof value !== 'string') problem = `must be a string, got ${value === null ? 'null' : typeof value}`;
  else {
    const index = value.search(field === 'apiKey' ? invalidInKey : invalidInId);
    if (index < 0 && value !== '' && value.length <= maxLength) return value;
    problem = describeProblem(value, index);
  }
  const label = field === 'apiKey' ? 'API key' : field === 'organization' ? 'organization ID' : 'project ID';
  throw new AuthError('invalid_credentials', `The ${label} from ${origin} ${problem}.`, {
    details: { field, origin },
  });
}

/** Names the first character that makes `value` unusable (at `index`), and how to fix it. */
function describeProblem(value: string, index: number): string {
  if (value === '') return 'is empty';
  if (index < 0) return `is longer than ${maxLength} characters`;
  const code = value.charCodeAt(index);
  // The position helps find the character; the value's length is not shown, as for masks.
  const at = `at character ${index + 1}`;
  if (code === 0x0a || code === 0x0d) return `has a line break ${at}: keep it on one line`;
  if (code === 0) return `has a NUL ${at}: remove it`;
  if (code === 0x20 || code === 0x09) return `has whitespace ${at}: remove it`;
  if (code < 0x20 || code === 0x7f) return `has a control character ${at}: remove it`;
  if (code > 0x7e) return `has a non-ASCII character ${at}: retype it`;
  return `has a comma ${at}: give one ID`;
}
