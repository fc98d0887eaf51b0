#!/usr/bin/env node
// `pnpm bench`: runs every benchmark on this machine, prints a markdown table and writes it to results/.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchColdStart } from './bench-cold-start.mjs';
import { benchCore } from './bench-core.mjs';

const target = 1_000_000;
const rows = await benchCore();
const coldStart = benchColdStart();
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
  '## Cold start (fresh process, median)',
  '',
  '| what | import → ready (in process) | whole process (wall) |',
  '|---|---:|---:|',
  ...coldStart.map((row) => `| ${row.name} | ${row.insideMs.toFixed(1)} ms | ${row.wallMs.toFixed(1)} ms |`),
  '',
  `Cold start: ${coldStart[0]?.runs} fresh processes per row, run alternately.`,
  '',
];
const table = lines.join('\n');
console.log(table);
writeFileSync(new URL('../results/latest.md', import.meta.url), table);
