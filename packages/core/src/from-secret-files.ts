import { AuthError } from './auth-error.ts';
import {
  type CredentialSource,
  type EnvReader,
  envNames,
  type FieldReading,
  fileEnvNames,
  type TextFileReader,
} from './credential-source.ts';
import { conflict, safeRead } from './from-env.ts';
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

/**
 * Secret files named by `OPENAI_API_KEY_FILE`, `OPENAI_ORG_ID_FILE`, `OPENAI_PROJECT_ID_FILE` (Docker and
 * Kubernetes secrets). The content is trimmed once (a final newline, a BOM); a file that still holds a line
 * break, a NUL or inner whitespace is an error. Errors name the path, never the content.
 *
 * @example
 * fromSecretFiles((name) => process.env[name], (path) => readFile(path, 'utf8'));
 */
export function fromSecretFiles(
  readEnv: EnvReader,
  readTextFile: TextFileReader,
  options: SecretFileOptions = {},
): CredentialSource {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const timeoutMs = options.timeoutMs ?? 5000;
  const readField = async (field: CredentialField): Promise<FieldReading> => {
    const variable = fileEnvNames[field] as string;
    const origin = `env ${variable}`;
    const path = safeRead(readEnv, variable);
    if (path instanceof AuthError) return { status: 'absent', origin, detail: path.message };
    if (path === undefined || path.trim() === '') {
      return { status: 'absent', origin, detail: path === undefined ? 'not set' : 'empty' };
    }
    const plain = safeRead(readEnv, envNames[field]);
    if (typeof plain === 'string' && plain.trim() !== '') {
      return { status: 'error', origin, error: conflict(envNames[field], variable) };
    }
    const file = path.trim();
    const fileOrigin = `file ${file} (${variable})`;
    try {
      const content = await withTimeout(
        timeoutMs,
        (signal) => readTextFile(file, { maxBytes, signal }),
        () =>
          fileError(
            `Reading ${file} (${variable}) took longer than ${timeoutMs} ms; is it a pipe nobody writes to?`,
            file,
          ),
      );
      if (typeof content !== 'string') throw fileError(`Reading ${file} (${variable}) gave no text.`, file);
      if (content.length > maxBytes) {
        throw fileError(
          `${file} (${variable}) is larger than ${maxBytes} bytes; point ${variable} at a file holding only the value.`,
          file,
        );
      }
      const reading = readingOf(field, content, fileOrigin);
      return reading.status === 'absent' ? { ...reading, detail: 'the file is empty' } : reading;
    } catch (error) {
      const typed = AuthError.is(error)
        ? error
        : fileError(`Cannot read ${file} (${variable}): ${describeFsError(error)}.`, file, error);
      return { status: 'error', origin: fileOrigin, error: typed };
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

function fileError(message: string, path: string, cause?: unknown): AuthError {
  return new AuthError('source_unreadable', message, { cause, details: { path } });
}

function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return typeof code === 'string' ? code : ((error as { name?: string } | null)?.name ?? 'unknown error');
  }
}
