#!/usr/bin/env node
// `pnpm bench`: runs every benchmark on this machine, prints a markdown table and writes it to results/.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchColdStart } from './bench-cold-start.mjs';
import { benchCore } from './bench-core.mjs';
import { benchRelay, benchRelayInProcess, relayBenchSetup } from './bench-relay.mjs';

const target = 1_000_000;
const rows = await benchCore();
const coldStart = benchColdStart();
const relayInProcess = await benchRelayInProcess();
const relayRows = await benchRelay();
const ms = (value) => (value === undefined ? '' : `${value.toFixed(2)} ms`);
const relayTable = (kind) => [
  `| ${kind}: path | req/s | p50 | p99 | × (b) | × (a) | CPU/req (relay process) |${kind === 'JSON' ? ' p50 idle |' : ''}`,
  `|---|---:|---:|---:|---:|---:|---:|${kind === 'JSON' ? '---:|' : ''}`,
  ...relayRows
    .filter((row) => row.kind === kind)
    .map(
      (row) =>
        `| ${row.name} | ${Math.round(row.rps).toLocaleString('en-US')} | ${row.p50} ms | ${row.p99} ms | ${row.vsB.toFixed(2)} | ${row.vsA.toFixed(2)} | ${row.cpuUs === undefined ? '—' : `${Math.round(row.cpuUs)} µs`} |${kind === 'JSON' ? ` ${ms(row.idleP50)} |` : ''}`,
    ),
];
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
  '## Relay byte path on Node (loopback)',
  '',
  `POST /chat/completions through each path to the same node:http stub upstream; autocannon with ${relayBenchSetup.connections} connections, ` +
    `load generator, relay and upstream in three processes sharing the machine's ${cpus().length} cores. Best of ` +
    `${relayBenchSetup.rounds} alternating rounds of ${relayBenchSetup.durationS} s after a warm-up; SSE is ${relayBenchSetup.sseEvents} events + [DONE]. ` +
    'p50/p99 from autocannon (whole ms); idle p50 is one request at a time on one connection.',
  '',
  ...relayTable('JSON'),
  '',
  ...relayTable('SSE'),
  '',
  `Core relay alone, in process (Request in, fake upstream, Response read out): ${Math.round(relayInProcess.usPerRequest)} µs per request.`,
  "(d*) skips core's response-side policy (error mapping, 401 retry, response header allowlist, CORS headers, idle/event limits): an upper bound, not a product.",
  '',
];
const table = lines.join('\n');
console.log(table);
writeFileSync(new URL('../results/latest.md', import.meta.url), table);
