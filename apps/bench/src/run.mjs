#!/usr/bin/env node
// `pnpm bench`: runs every benchmark on this machine, prints a markdown table and writes it to results/.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchCore } from './bench-core.mjs';

const target = 1_000_000;
const rows = await benchCore();
const lines = [
  `# Benchmarks`,
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}. Best of 5 rounds, each ≤ 1.5 s.`,
  '',
  '## Core hot path',
  '',
  '| operation | ops/s | target |',
  '|---|---:|---|',
  ...rows.map(
    (row, index) =>
      `| ${row.name} | ${row.opsPerSecond.toLocaleString('en-US')} | ${index < 2 ? `≥ ${target.toLocaleString('en-US')} ${row.opsPerSecond >= target ? '(met)' : '(NOT met)'}` : ''} |`,
  ),
  '',
];
const table = lines.join('\n');
console.log(table);
writeFileSync(new URL('../results/latest.md', import.meta.url), table);
