import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A verdaccio registry on 127.0.0.1 with no uplink: what is not published to it answers 404. */
export interface LocalRegistry {
  url: string;
  /** An npmrc that points every scope at this registry, with the token npm insists on for publish. */
  npmrc: string;
  publish(tarball: string): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts verdaccio in `root` and waits until it answers. */
export async function startLocalRegistry(root: string): Promise<LocalRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(join(root, 'storage'), { recursive: true });
  const config = join(root, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(root, 'storage')}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $anonymous',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const npmrc = join(root, 'npmrc');
  writeFileSync(
    npmrc,
    `registry=${url}/\n//127.0.0.1:${port}/:_authToken=local-test-token\naudit=false\nfund=false\nupdate-notifier=false\n`,
  );
  const bin = join(
    dirname(createRequire(import.meta.url).resolve('verdaccio/package.json')),
    'bin',
    'verdaccio',
  );
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout?.on('data', (chunk) => {
    log += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    log += chunk;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/-/ping`)).ok) break;
    } catch {}
    if (child.exitCode !== null) throw new Error(`verdaccio exited: ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    npmrc,
    async publish(tarball) {
      await run(
        'npm',
        ['publish', tarball, '--userconfig', npmrc, '--registry', url, '--ignore-scripts', '--tag', 'latest'],
        {
          cwd: root,
          env: { ...process.env, npm_config_cache: join(root, 'npm-cache') },
        },
      );
    },
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Packs a workspace package with pnpm (which turns `workspace:*` into real versions); returns the tarball. */
export async function packWorkspacePackage(directory: string, destination: string): Promise<string> {
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination], { cwd: directory });
  const line = stdout.trim().split('\n').pop() ?? '';
  return line.startsWith('/') ? line : join(destination, line.split('/').pop() ?? line);
}

/** The package.json of an installed dependency, also when its `exports` hide `./package.json`. */
function findPackageJson(require: NodeJS.Require, name: string): string {
  try {
    return require.resolve(`${name}/package.json`);
  } catch {
    let directory = dirname(require.resolve(name));
    while (directory !== dirname(directory)) {
      const candidate = join(directory, 'package.json');
      if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === name)
        return candidate;
      directory = dirname(directory);
    }
    throw new Error(`cannot find the package.json of ${name}`);
  }
}

/**
 * Packs an installed third-party dependency (and its own dependencies) from the workspace's node_modules, so
 * the registry can serve it without any uplink: the test never leaves 127.0.0.1.
 */
export async function packInstalledDependencies(
  fromPackageJson: string,
  destination: string,
  seen: Set<string> = new Set(),
): Promise<string[]> {
  const manifest = JSON.parse(readFileSync(fromPackageJson, 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const tarballs: string[] = [];
  const require = createRequire(fromPackageJson);
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (name.startsWith('@auth/') || seen.has(name)) continue;
    seen.add(name);
    const packageJson = findPackageJson(require, name);
    // Packed from a plain copy: npm 11 dies ("Exit handler never called!") on some pnpm store paths, those
    // with a peer suffix such as `.pnpm/ioredis@6.0.0_supports-color@7.2.0/…`.
    const copy = join(destination, '.sources', name);
    cpSync(dirname(packageJson), copy, { recursive: true, dereference: true });
    const { stdout } = await run(
      'npm',
      ['pack', copy, '--pack-destination', destination, '--ignore-scripts'],
      {
        cwd: destination,
      },
    );
    tarballs.push(join(destination, stdout.trim().split('\n').pop() ?? ''));
    tarballs.push(...(await packInstalledDependencies(packageJson, destination, seen)));
  }
  return tarballs;
}
