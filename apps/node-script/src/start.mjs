// `pnpm start`: runs the example. With no OPENAI_API_KEY (nor OPENAI_API_KEY_FILE) it goes offline: it starts
// the test kit's stub of the OpenAI API on 127.0.0.1 with a fake key of its own, and runs the example against
// that, so the whole flow can be seen without an account. With a key it talks to OPENAI_BASE_URL or the real API.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.mjs', import.meta.url));
const hasKey = Boolean(process.env.OPENAI_API_KEY?.trim() || process.env.OPENAI_API_KEY_FILE?.trim());

/** True when `@auth/node` and the `@auth/core` it imports are built (their `exports` point into dist/). */
function isBuilt() {
  try {
    const nodeEntry = createRequire(import.meta.url).resolve('@auth/node');
    return existsSync(createRequire(nodeEntry).resolve('@auth/core'));
  } catch {
    return false;
  }
}

// A fresh clone has no dist/ yet: build the two packages the example imports, once, rather than fail.
if (!isBuilt()) {
  console.log('Building @auth/core and @auth/node first (once)…');
  const built = spawnSync('pnpm', ['--filter', '@auth/node...', 'run', 'build'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    shell: process.platform === 'win32',
  });
  if (built.status !== 0 || !isBuilt()) {
    console.error(
      'Could not build them: run `pnpm --filter @auth/core --filter @auth/node build`, then try again.',
    );
    process.exit(1);
  }
}

/**
 * Runs main.mjs as a child with `env`, passing the arguments through; resolves to its exit code.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<number>}
 */
function runMain(env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...process.argv.slice(2)], { env, stdio: 'inherit' });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * The test kit is TypeScript (it runs under vitest, deno and bun as is), and Node 20 cannot strip types:
 * bundle it to one ESM module in memory with esbuild and import that.
 */
async function loadTestkit() {
  const { build } = await import('esbuild');
  const entry = fileURLToPath(import.meta.resolve('@auth/testkit'));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  });
  const code = result.outputFiles?.[0]?.text ?? '';
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

if (hasKey) {
  console.log(
    `online mode: OPENAI_API_KEY is set; talking to ${process.env.OPENAI_BASE_URL?.trim() || 'the OpenAI API'}.\n`,
  );
  process.exitCode = await runMain(process.env);
} else {
  const { fakeKey, startUpstream } = await loadTestkit();
  const key = fakeKey('project');
  const upstream = await startUpstream({ expectedKey: key });
  console.log(
    `offline mode: OPENAI_API_KEY is not set, so the example runs against a local stub of the OpenAI API at ${upstream.url}\n` +
      'with a fake key generated for this run (it only works there). Set OPENAI_API_KEY to use the real API.\n',
  );
  try {
    process.exitCode = await runMain({ ...process.env, OPENAI_API_KEY: key, OPENAI_BASE_URL: upstream.url });
  } finally {
    await upstream.close();
  }
}
