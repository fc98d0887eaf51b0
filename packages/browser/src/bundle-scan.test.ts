import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fakeKey, findKeyShapes } from '@auth/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// E43: the package and an app that uses it are built the way apps are built, with OpenAI keys in the build
// environment (server-only, Next.js public, Vite public), and every output file is scanned.
const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(packageDirectory, 'package.json'));
const tsupPackage = require.resolve('tsup/package.json');
const tsupCli = join(dirname(tsupPackage), (require(tsupPackage) as { bin: { tsup: string } }).bin.tsup);
const esbuildEntry = pathToFileURL(require.resolve('esbuild')).href;

const keys = {
  OPENAI_API_KEY: fakeKey('project'),
  NEXT_PUBLIC_OPENAI_API_KEY: fakeKey('service_account'),
  VITE_OPENAI_API_KEY: fakeKey('user'),
};
const secrets = Object.values(keys);

let workDirectory = '';

function run(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...keys, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

// What a Vite or Next.js build does with the environment: it inlines the public variables (`VITE_*` through
// `import.meta.env`, `NEXT_PUBLIC_*` through `process.env`), read from its own process environment.
const buildScript = `
import { build } from ${JSON.stringify(esbuildEntry)};
const env = process.env;
for (const name of ['app', 'leaky']) {
  await build({
    entryPoints: [name + '.js'],
    outdir: 'out/' + name,
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    nodePaths: [${JSON.stringify(join(packageDirectory, 'node_modules'))}],
    define: {
      'import.meta.env.VITE_OPENAI_API_KEY': JSON.stringify(env.VITE_OPENAI_API_KEY),
      'process.env.NEXT_PUBLIC_OPENAI_API_KEY': JSON.stringify(env.NEXT_PUBLIC_OPENAI_API_KEY),
      'process.env.NODE_ENV': '"production"',
    },
    logLevel: 'error',
  });
}
`;

beforeAll(async () => {
  workDirectory = await mkdtemp(join(tmpdir(), 'auth-browser-e43-'));
  await run([tsupCli, '--out-dir', join(workDirectory, 'dist')], packageDirectory);
  await writeFile(
    join(workDirectory, 'app.js'),
    `import OpenAI from 'openai';
import { createRelayFetch, fetchRealtimeSecret, openaiBrowserOptions, RelayError } from './dist/index.js';
export const client = new OpenAI(openaiBrowserOptions({ relayURL: '/api/openai' }));
export const relayFetch = createRelayFetch({ relayURL: '/api/openai' });
export const connect = () => fetchRealtimeSecret({ relayURL: '/api/openai' }).catch((error) => RelayError.is(error));
`,
  );
  // The positive control: an app that does read the public variables, as users sometimes do by mistake.
  await writeFile(
    join(workDirectory, 'leaky.js'),
    'export const keys = [import.meta.env.VITE_OPENAI_API_KEY, process.env.NEXT_PUBLIC_OPENAI_API_KEY];\n',
  );
  await writeFile(join(workDirectory, 'build.mjs'), buildScript);
  await run(['build.mjs'], workDirectory);
}, 120_000);

afterAll(async () => {
  if (workDirectory) await rm(workDirectory, { recursive: true, force: true });
});

describe('bundles (E43)', () => {
  it('E43: the scan finds keys that an app inlines (positive control)', async () => {
    const leaky = (
      await Promise.all(
        (await filesUnder(join(workDirectory, 'out', 'leaky'))).map((file) => readFile(file, 'utf8')),
      )
    ).join('\n');
    expect(leaky.includes(keys.VITE_OPENAI_API_KEY)).toBe(true);
    expect(leaky.includes(keys.NEXT_PUBLIC_OPENAI_API_KEY)).toBe(true);
    expect(findKeyShapes(leaky).length).toBeGreaterThan(0);
  });

  it('E43: the package build and the app bundle built with keys in the environment hold no key', async () => {
    const files = [
      ...(await filesUnder(join(workDirectory, 'dist'))),
      ...(await filesUnder(join(workDirectory, 'out', 'app'))),
    ];
    const names = files.map((file) => file.slice(workDirectory.length + 1)).sort();
    expect(names).toEqual(
      expect.arrayContaining(['dist/index.cjs', 'dist/index.d.cts', 'dist/index.d.ts', 'dist/index.js']),
    );
    expect(names.some((name) => name.startsWith('out/app/'))).toBe(true);
    const findings: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const where = file.slice(workDirectory.length + 1);
      for (const [name, key] of Object.entries(keys))
        if (text.includes(key)) findings.push(`${where}: ${name}`);
      findings.push(...findKeyShapes(text).map(() => `${where}: key-shaped string`));
    }
    expect(findings).toEqual([]);
    // The app bundle really contains the SDK and the package (the scan looked at real code).
    const app = (
      await Promise.all(
        (await filesUnder(join(workDirectory, 'out', 'app'))).map((file) => readFile(file, 'utf8')),
      )
    ).join('\n');
    expect(app).toContain('dangerouslyAllowBrowser');
    expect(app).toContain('openai-auth.RelayError');
    expect(secrets.every((secret) => !app.includes(secret))).toBe(true);
  });
});
