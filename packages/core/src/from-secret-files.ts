import { AuthError } from './auth-error.ts';
import {
  type CredentialSource,
  type EnvReader,
  type FieldReading,
  fileEnvNames,
  type TextFileReader,
} from './credential-source.ts';
import { readVariable } from './from-env.ts';
import { readingOf } from './from-values.ts';
import type { CredentialField } from './validate-credential-value.ts';
import { withTimeout } from './with-timeout.ts';

/** Options of {@link fromSecretFiles}. */
export interface SecretFileOptions {
  /** Files larger than this are refused; a key is a few hundred bytes. Default 64 KiB. */
  maxBytes?: number;
  /** A read that takes longer fails (a FIFO nobody writes to never ends). Default 5 s. */
  timeoutMs?: number;
  /** Re-read files after this long, to pick up rotated secrets. Default: until invalidated (e.g. by a 401). */
  ttlMs?: number;
}

const fields: readonly CredentialField[] = ['apiKey', 'organization', 'project'];

// File system error codes as people say them.
const fsErrors = new Map<unknown, string>([
  ['ENOENT', 'no such file'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'permission denied'],
  ['EISDIR', 'it is a directory'],
]);

/**
 * Secret files named by `OPENAI_API_KEY_FILE`, `OPENAI_ORG_ID_FILE`, `OPENAI_PROJECT_ID_FILE` (Docker and
 * Kubernetes secrets). The content is trimmed once (a final newline, a BOM); a file that still holds a line
 * break, a NUL or inner whitespace is an error. Errors name the path, never the content.
 *
 * @example
 * fromSecretFiles((name) => env[name], (path) => readFile(path, 'utf8'));
 */
export function fromSecretFiles(
  readEnv: EnvReader,
  readTextFile: TextFileReader,
  options: SecretFileOptions = {},
): CredentialSource {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const timeoutMs = options.timeoutMs ?? 5000;
  const readField = async (field: CredentialField): Promise<FieldReading> => {
    const named = readVariable(readEnv, field, true);
    if (named.status !== 'found') return named;
    const path = named.value;
    const variable = fileEnvNames[field];
    const origin = `file ${path} (${variable})`;
    const unreadable = (problem: string, cause?: unknown) =>
      new AuthError('source_unreadable', `Cannot read ${path} (${variable}): ${problem}.`, {
        cause,
        details: { path },
      });
    try {
      const content = await withTimeout(
        timeoutMs,
        (signal) => readTextFile(path, { maxBytes, signal }),
        () => unreadable(`took longer than ${timeoutMs} ms; is it a pipe?`),
      );
      if (typeof content !== 'string') throw unreadable('the reader gave no text');
      if (content.length > maxBytes) {
        throw unreadable(`larger than ${maxBytes} bytes; it must hold only the value`);
      }
      const reading = readingOf(field, content, origin);
      return reading.status === 'absent' ? { ...reading, detail: 'the file is empty' } : reading;
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      const typed = AuthError.is(error)
        ? error
        : unreadable(
            fsErrors.get(code) ??
              (typeof code === 'string' ? code : ((error as Error | null)?.name ?? 'unknown error')),
            error,
          );
      return { status: 'error', origin, error: typed };
    }
  };
  return {
    name: 'secret files',
    fields,
    async read(request) {
      const out: Partial<Record<CredentialField, FieldReading>> = {};
      await Promise.all(
        request.fields.map(async (field) => {
          out[field] = await readField(field);
        }),
      );
      return { fields: out, expiresAt: options.ttlMs === undefined ? undefined : Date.now() + options.ttlMs };
    },
  };
}
