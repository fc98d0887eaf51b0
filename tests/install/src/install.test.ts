import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertNoLeak, fakeKey } from '@auth/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalRegistry,
  packInstalledDependencies,
  packWorkspacePackage,
  startLocalRegistry,
} from './local-registry.ts';

/*
 * Installs the packages the way users type it — `npm install @auth/node` in a clean folder outside the
 * workspace — from a real registry on 127.0.0.1 that holds the packed packages and has no uplink, then uses
 * them from ESM, CJS and strict TypeScript.
 */
const run = promisify(execFile);
const workspace = join(import.meta.dirname, '..', '..', '..');
const publishable = readdirSync(join(workspace, 'packages'))
  .map((name) => join(workspace, 'packages', name))
  .filter((directory) => existsSync(join(directory, 'package.json')))
  .map((directory) => ({
    directory,
    manifest: JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')),
  }))
  .filter(({ manifest }) => manifest.private !== true);
// The server packages a user installs by name (@auth/bun must at least import under Node); @auth/deno goes to
// JSR; @auth/browser and @auth/redis have their own cases below (a browser API; a store, with core as a peer).
const installable = publishable
  .map(({ manifest }) => manifest.name as string)
  .filter((name) => name !== '@auth/deno' && name !== '@auth/browser' && name !== '@auth/redis');

let root: string;
let registry: LocalRegistry;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'openai-auth-install-'));
  const tarballs = join(root, 'tarballs');
  mkdirSync(tarballs);
  registry = await startLocalRegistry(root);
  const packed: string[] = [];
  const seen = new Set<string>();
  for (const { directory } of publishable) {
    packed.push(await packWorkspacePackage(directory, tarballs));
    packed.push(...(await packInstalledDependencies(join(directory, 'package.json'), tarballs, seen)));
  }
  // What a strict TypeScript consumer needs besides our packages.
  packed.push(
    ...(await packInstalledDependencies(
      join(import.meta.dirname, 'typescript-consumer.json'),
      tarballs,
      seen,
    )),
  );
  for (const tarball of packed) await registry.publish(tarball);
});

afterAll(async () => {
  await registry?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function consumer(name: string): string {
  const directory = join(root, name);
  mkdirSync(directory);
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ name, private: true, version: '1.0.0' }));
  return directory;
}

async function npmInstall(directory: string, ...names: string[]) {
  return run(
    'npm',
    [
      'install',
      ...names,
      '--userconfig',
      registry.npmrc,
      '--registry',
      registry.url,
      '--no-audit',
      '--no-fund',
    ],
    {
      cwd: directory,
      env: { ...process.env, npm_config_cache: join(root, 'npm-cache') },
    },
  );
}

describe('install as users do', () => {
  it('has the packages to install', () => {
    expect(installable).toContain('@auth/core');
    expect(installable.length).toBeGreaterThanOrEqual(1);
  });

  it('a name that was not published answers 404: nothing falls through to the public registry', async () => {
    const response = await fetch(`${registry.url}/@auth%2fnot-published`);
    expect(response.status).toBe(404);
    await response.text();
  });

  for (const name of installable) {
    it(`npm install ${name} resolves @auth/core to this project's package; ESM, CJS and strict TypeScript consumers work`, async () => {
      const directory = consumer(name.replace('/', '-').replace('@', ''));
      await npmInstall(directory, name);
      const installedCore = JSON.parse(
        readFileSync(join(directory, 'node_modules/@auth/core/package.json'), 'utf8'),
      );
      const ourCore = JSON.parse(readFileSync(join(workspace, 'packages/core/package.json'), 'utf8'));
      expect(installedCore.description).toBe(ourCore.description);
      expect(installedCore.version).toBe(ourCore.version);

      const key = fakeKey('project');
      const env = { ...process.env, OPENAI_API_KEY: `${key}\n`, OPENAI_ORG_ID: '', OPENAI_PROJECT_ID: '' };
      writeFileSync(
        join(directory, 'esm.mjs'),
        `import { buildAuthHeaders, classifyKey, maskKey } from '${name}';
const key = process.env.OPENAI_API_KEY.trim();
console.log(JSON.stringify({ kind: classifyKey(key), mask: maskKey(key), headers: Object.keys(buildAuthHeaders({ apiKey: key })) }));`,
      );
      writeFileSync(
        join(directory, 'cjs.cjs'),
        `const lib = require('${name}');
const key = process.env.OPENAI_API_KEY.trim();
console.log(JSON.stringify({ kind: lib.classifyKey(key), isError: lib.AuthError.is(new lib.AuthError('missing_credentials', 'x')) }));`,
      );
      const esm = await run(process.execPath, ['esm.mjs'], { cwd: directory, env });
      expect(JSON.parse(esm.stdout)).toEqual({
        kind: 'project',
        mask: `sk-proj-…${key.slice(-4)}`,
        headers: ['Authorization'],
      });
      const cjs = await run(process.execPath, ['cjs.cjs'], { cwd: directory, env });
      expect(JSON.parse(cjs.stdout)).toEqual({ kind: 'project', isError: true });

      await npmInstall(directory, '@types/node', 'typescript');
      writeFileSync(
        join(directory, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            lib: ['es2022', 'dom'],
            noEmit: true,
            types: ['node'],
            exactOptionalPropertyTypes: true,
          },
          files: ['consumer.ts'],
        }),
      );
      writeFileSync(
        join(directory, 'consumer.ts'),
        `import { AuthError, buildAuthHeaders, type AuthHeaders, type KeyKind, classifyKey } from '${name}';
const kind: KeyKind = classifyKey(process.env.OPENAI_API_KEY ?? '');
const headers: AuthHeaders = buildAuthHeaders({ apiKey: 'placeholder', organization: null });
const code: AuthError['code'] = 'missing_credentials';
// @ts-expect-error: codes are a closed union
const wrong: AuthError['code'] = 'no_such_code';
export { kind, headers, code, wrong };
`,
      );
      const tsc = await run(
        process.execPath,
        [join(directory, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
        { cwd: directory },
      ).catch((error) => error);
      expect(`${tsc.stdout ?? ''}${tsc.stderr ?? ''}`).toBe('');
      assertNoLeak({ logs: [esm.stdout, esm.stderr, cjs.stdout, cjs.stderr] }, [key]);
    });
  }

  it('npm install @auth/redis brings ioredis and @auth/core as its peer (one copy); ESM and CJS consumers work', async () => {
    const directory = consumer('auth-redis');
    await npmInstall(directory, '@auth/redis');
    const installedCore = JSON.parse(
      readFileSync(join(directory, 'node_modules/@auth/core/package.json'), 'utf8'),
    );
    const ourCore = JSON.parse(readFileSync(join(workspace, 'packages/core/package.json'), 'utf8'));
    expect(installedCore.version).toBe(ourCore.version);
    expect(existsSync(join(directory, 'node_modules/ioredis/package.json'))).toBe(true);
    // lazyConnect: nothing is dialled; the store is built, and a bad option is refused with a TypeError.
    const program = (load: string) => `${load}
const store = createRedisRateLimitStore({ url: 'redis://127.0.0.1:9', redisOptions: { lazyConnect: true } });
let refused = 'no';
try { createRedisRateLimitStore({ url: 'redis://127.0.0.1:9', leaseTtlMs: -1 }); } catch (error) { refused = error.constructor.name; }
console.log(JSON.stringify({ methods: ['hit', 'acquire', 'release', 'close'].map((name) => typeof store[name]), refused }));
store.close().then(() => process.exit(0));`;
    writeFileSync(
      join(directory, 'esm.mjs'),
      program("import { createRedisRateLimitStore } from '@auth/redis';"),
    );
    writeFileSync(
      join(directory, 'cjs.cjs'),
      program("const { createRedisRateLimitStore } = require('@auth/redis');"),
    );
    const expected = { methods: ['function', 'function', 'function', 'function'], refused: 'TypeError' };
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const { stdout } = await run(process.execPath, [file], { cwd: directory });
      expect(JSON.parse(stdout), file).toEqual(expected);
    }
  });

  it('npm install @auth/browser brings no server code and no @auth/core; ESM, CJS and strict TypeScript consumers work', async () => {
    const directory = consumer('auth-browser');
    await npmInstall(directory, '@auth/browser');
    expect(existsSync(join(directory, 'node_modules/@auth/core'))).toBe(false);
    writeFileSync(
      join(directory, 'esm.mjs'),
      `import { createRelayFetch, openaiBrowserOptions, RelayError } from '@auth/browser';
const options = openaiBrowserOptions({ relayURL: 'https://app.example/api/openai' });
let refused = 'no';
try { createRelayFetch({ relayURL: 'https://app.example/api/openai', apiKey: 'x' }); } catch (error) { refused = RelayError.is(error) ? error.code : 'other'; }
console.log(JSON.stringify({ baseURL: options.baseURL, refused }));`,
    );
    writeFileSync(
      join(directory, 'cjs.cjs'),
      `const { RelayError } = require('@auth/browser');
console.log(JSON.stringify({ brand: RelayError.is(new RelayError('relay_error', 'x')) }));`,
    );
    const esm = await run(process.execPath, ['esm.mjs'], { cwd: directory });
    expect(JSON.parse(esm.stdout)).toEqual({
      baseURL: 'https://app.example/api/openai',
      refused: 'browser_exposure',
    });
    const cjs = await run(process.execPath, ['cjs.cjs'], { cwd: directory });
    expect(JSON.parse(cjs.stdout)).toEqual({ brand: true });

    await npmInstall(directory, 'typescript');
    writeFileSync(
      join(directory, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022', 'dom'],
          noEmit: true,
          types: [],
          exactOptionalPropertyTypes: true,
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      join(directory, 'consumer.ts'),
      `import { createRelayFetch } from '@auth/browser';
export const relayFetch = createRelayFetch({ relayURL: '/api/openai' });
// @ts-expect-error: there is no apiKey option anywhere
export const refused = createRelayFetch({ relayURL: '/api/openai', apiKey: 'x' });
`,
    );
    const tsc = await run(
      process.execPath,
      [join(directory, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      {
        cwd: directory,
      },
    ).catch((error) => error);
    expect(`${tsc.stdout ?? ''}${tsc.stderr ?? ''}`).toBe('');
  });
});
