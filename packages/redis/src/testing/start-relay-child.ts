import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** A relay process started by {@link startRelayChild}. */
export interface RelayChild {
  /** Origin of the fail-closed relay. */
  readonly closed: string;
  /** Origin of the fail-open relay. */
  readonly open: string;
  /** Everything the process printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** SIGTERM, then SIGKILL if it has not exited within 3 s; resolves to the exit code. */
  stop(): Promise<number | null>;
}

const packageDirectory = fileURLToPath(new URL('../..', import.meta.url));
const readyTimeoutMs = 10_000;
const running = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

// This package's own imports point at its source, so the children run what the tests test without a build;
// `@auth/node` and `ioredis` stay imports, resolved from this package like a user's app would.
const sourceOnly: Plugin = {
  name: 'redis-source',
  setup(context) {
    context.onResolve({ filter: /^@auth\/redis$/ }, () => ({
      path: fileURLToPath(new URL('../index.ts', import.meta.url)),
    }));
  },
};

const bundles = new Map<string, Promise<string>>();

/**
 * Bundles a TypeScript entry of this package (its relative and `@auth/redis` imports; packages stay external)
 * into ES module code for `node --input-type=module -e`.
 *
 * @example
 * const code = await bundleForNode(new URL('./relay-child.ts', import.meta.url));
 */
export function bundleForNode(entry: URL | string, contents?: string): Promise<string> {
  const id = `${String(entry)}\n${contents ?? ''}`;
  let bundle = bundles.get(id);
  if (bundle === undefined) {
    bundle = build({
      ...(contents === undefined
        ? { entryPoints: [fileURLToPath(entry)] }
        : { stdin: { contents, loader: 'ts', resolveDir: packageDirectory, sourcefile: String(entry) } }),
      bundle: true,
      packages: 'external',
      plugins: [sourceOnly],
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
    }).then((result) => result.outputFiles[0]!.text);
    bundles.set(id, bundle);
  }
  return bundle;
}

/**
 * Starts `relay-child.ts` as its own `node` process and waits for its two relay URLs.
 *
 * @example
 * const relay = await startRelayChild({ REDIS_URL: redis.url, OPENAI_API_KEY: key, OPENAI_BASE_URL: upstream.url });
 * await fetch(`${relay.closed}/models`, { headers: { 'x-principal': 'alice' } });
 * await relay.stop();
 */
export async function startRelayChild(env: Record<string, string>): Promise<RelayChild> {
  const code = await bundleForNode(new URL('./relay-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: packageDirectory,
    // Only what the relay needs: no inherited OPENAI_* of the developer's shell.
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (exitCode) => {
      running.delete(child);
      resolve(exitCode);
    });
  });

  const urls = await new Promise<{ closed: string; open: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay child not ready within ${readyTimeoutMs} ms:\n${stderr}`));
    }, readyTimeoutMs);
    const onData = () => {
      const line = stdout.split('\n', 1)[0];
      if (line === undefined || !stdout.includes('\n')) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      try {
        resolve(JSON.parse(line) as { closed: string; open: string });
      } catch {
        reject(new Error(`relay child printed no URLs:\n${line}\n${stderr}`));
      }
    };
    child.stdout.on('data', onData);
    void exited.then((exitCode) => {
      clearTimeout(timer);
      reject(new Error(`relay child exited with ${exitCode} before it was ready:\n${stderr}`));
    });
  });

  return {
    ...urls,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        const exitCode = await exited;
        clearTimeout(timer);
        return exitCode;
      }
      return exited;
    },
  };
}
