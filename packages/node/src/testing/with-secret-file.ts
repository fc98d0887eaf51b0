import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `body` with the path of a fresh temporary file holding `content`, and removes it afterwards. */
export async function withSecretFile<T>(
  content: string | Uint8Array,
  body: (path: string, directory: string) => Promise<T>,
): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), 'openai-auth-node-'));
  const path = join(directory, 'secret');
  try {
    await writeFile(path, content, { mode: 0o600 });
    return await body(path, directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
