// `pnpm start`: builds what the app needs, then runs its server on 127.0.0.1:${PORT:-3000}. The server is
// TypeScript and Node 20 cannot strip types, so esbuild bundles it into dist/server.mjs first (the workspace
// packages stay external: they are imported from their own dist/, as an app installed from npm would).
// The page's script is bundled by the server itself when it starts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('..', import.meta.url));

// What the server and the page import from the workspace packages. A dist/ built before one of these existed
// is as good as missing, so the check imports the built packages (in a child, so that a rebuild is not
// shadowed by this process's module cache).
const probe = `
const [node, relay, browser] = await Promise.all([import('@auth/node'), import('@auth/core/relay'), import('@auth/browser')]);
const ok = [node.createResolver, node.toNodeListener, relay.createRelay, browser.openaiBrowserOptions, browser.fetchRealtimeSecret]
  .every((value) => typeof value === 'function');
process.exit(ok ? 0 : 1);`;

function isBuilt() {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: appDir,
    stdio: 'ignore',
  });
  return result.status === 0;
}

// A fresh clone has no dist/ yet: build the app's workspace dependencies rather than fail.
if (!isBuilt()) {
  console.log('Building @auth/core, @auth/node and @auth/browser first…');
  const built = spawnSync('pnpm', ['--filter', 'browser-chat^...', 'run', 'build'], {
    cwd: appDir,
    stdio: ['ignore', 'ignore', 'inherit'],
    shell: process.platform === 'win32',
  });
  if (built.status !== 0 || !isBuilt()) {
    console.error('Could not build them: run `pnpm --filter "browser-chat^..." build`, then try again.');
    process.exit(1);
  }
}

const { build } = await import('esbuild');
const outfile = fileURLToPath(new URL('../dist/server.mjs', import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL('./server.ts', import.meta.url))],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Built packages load from their dist/; the test kit is TypeScript source, so it is bundled in (it is
  // imported only in offline mode).
  external: ['@auth/core', '@auth/core/*', '@auth/node', 'esbuild'],
  logLevel: 'warning',
});
const { main } = await import(outfile);
await main();
