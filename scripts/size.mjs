#!/usr/bin/env node
// Measures what users ship: each budget bundles a tiny app that imports the built package by name (so the
// package's `exports` and `sideEffects` apply), minifies it with esbuild and gzips it at level 9.
// Usage: node scripts/size.mjs [--json]   Exit 1 when a budget is exceeded.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const budgets = [
  { name: '@auth/core (whole package)', contents: "export * from '@auth/core';", limit: 6 * 1024 },
  {
    name: '@auth/core (buildAuthHeaders only)',
    contents: "export { buildAuthHeaders } from '@auth/core';",
    limit: 1.5 * 1024,
  },
];

const results = [];
for (const budget of budgets) {
  const output = await build({
    stdin: { contents: budget.contents, resolveDir: new URL('../packages/core', import.meta.url).pathname },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    write: false,
  });
  const code = output.outputFiles[0].contents;
  const gzip = gzipSync(code, { level: 9 }).length;
  results.push({
    name: budget.name,
    minified: code.length,
    gzip,
    limit: budget.limit,
    ok: gzip <= budget.limit,
  });
}

const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
const table = [
  '| bundle | minified | min+gzip | budget | |',
  '|---|---:|---:|---:|---|',
  ...results.map(
    (r) => `| ${r.name} | ${kb(r.minified)} | ${kb(r.gzip)} | ${kb(r.limit)} | ${r.ok ? 'ok' : 'OVER'} |`,
  ),
].join('\n');
console.log(table);
if (process.argv.includes('--json'))
  writeFileSync('size-report.json', `${JSON.stringify(results, null, 2)}\n`);
if (results.some((r) => !r.ok)) {
  console.error('size: a budget is exceeded');
  process.exit(1);
}
