import assert from 'node:assert/strict';
import { runDeno } from '../test/run-deno.ts';

/*
 * `deno publish --dry-run` does not notice an import that leaves the package (a `../core/src/…` path, or an
 * import map entry pointing at a folder): the published package would then be broken on JSR. This walks the
 * module graph of each published entry and checks every import written in the package's own files.
 */

interface GraphModule {
  specifier: string;
  dependencies?: { specifier: string; code?: { specifier?: string }; type?: { specifier?: string } }[];
}

const packages = [
  { name: '@auth/deno', root: new URL('../', import.meta.url) },
  { name: '@auth/core', root: new URL('../../core/', import.meta.url) },
];

for (const { name, root } of packages) {
  Deno.test(`${name}: every import in the published files stays inside the package or names a registry package`, async () => {
    const config = JSON.parse(await Deno.readTextFile(new URL('deno.json', root)));
    assert.equal(config.name, name);
    assert.equal(config.license, 'MIT');
    const packageJson = JSON.parse(await Deno.readTextFile(new URL('package.json', root)));
    assert.equal(config.version, packageJson.version, 'deno.json and package.json carry the same version');
    const imports: Record<string, string> = config.imports ?? {};
    for (const [bare, target] of Object.entries(imports)) {
      assert.match(target, /^(jsr|npm):/, `imports["${bare}"] must name a registry package, not a path`);
    }

    // `exports` is one path or a map of entries (`@auth/core` and `@auth/core/adapter`): walk every entry.
    const entries: string[] =
      typeof config.exports === 'string' ? [config.exports] : Object.values(config.exports);
    const own = new Map<string, GraphModule>();
    for (const entry of entries) {
      const run = await runDeno(['info', '--json', new URL(entry, root).pathname]);
      assert.equal(run.code, 0, run.stderr);
      const graph: { modules: GraphModule[] } = JSON.parse(run.stdout);
      for (const module of graph.modules) {
        if (module.specifier.startsWith(root.href)) own.set(module.specifier, module);
      }
    }
    assert.ok(own.size > 3, 'the graph holds the package files');
    for (const module of own.values()) {
      assert.doesNotMatch(module.specifier, /\.test\.ts$/, 'no test file in the published graph');
      for (const dependency of module.dependencies ?? []) {
        const where = `${module.specifier.slice(root.href.length)} imports "${dependency.specifier}"`;
        if (dependency.specifier.startsWith('.')) {
          const resolved = dependency.code?.specifier ?? dependency.type?.specifier;
          assert.ok(resolved?.startsWith(new URL('src/', root).href), `${where}: outside src/`);
        } else {
          const mapped = imports[dependency.specifier] ?? dependency.specifier;
          assert.match(mapped, /^(jsr|npm):/, `${where}: neither relative nor a registry package`);
        }
      }
    }
  });
}
