#!/usr/bin/env node
// `pnpm bench`: runs the benchmarks on this machine, prints a markdown report and writes it to
// results/latest.md (with the relay chart in results/latest.svg). Flags select parts: see README.md or --help.
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchColdStart } from './bench-cold-start.mjs';
import { benchCore } from './bench-core.mjs';
import { benchRelay, benchRelayInProcess, defaultRelaySettings, quickRelaySettings } from './bench-relay.mjs';
import { benchSoak, defaultSoakSettings } from './bench-soak.mjs';
import { relayChart, renderReport } from './report.mjs';

const PARTS = ['core', 'cold-start', 'relay', 'soak'];
const PATH_IDS = [
  'direct',
  'forwarder',
  'forwarder-bun',
  'node',
  'node-min',
  'deno',
  'bun',
  'nginx',
  'portkey',
];

const HELP = `pnpm bench [-- flags]   (or, in apps/bench: node src/run.mjs [flags])

  --only <parts>         run only these parts (comma-separated): ${PARTS.join(', ')}
  --skip <parts>         skip these parts
  --skip-soak            the same as --skip soak
  --quick                short rounds, fewer samples, no soak (unless --only names it): ~1.5 min
  --paths <ids>          relay paths to run besides (a) direct and (b) forwarder (always on):
                         ${PATH_IDS.slice(2).join(', ')}
  --rounds <n>           relay throughput rounds per path and kind (default ${defaultRelaySettings.rounds})
  --duration <s>         seconds per round (default ${defaultRelaySettings.durationS})
  --connections <n>      autocannon connections (default ${defaultRelaySettings.connections})
  --nginx-workers <n>    nginx worker_processes (default ${defaultRelaySettings.nginxWorkers})
  --metering on|off      the relays' onEvent metering (default on)
  --soak-requests <n>    soak request count (default ${defaultSoakSettings.requests.toLocaleString('en-US')})
  --soak-minutes <m>     soak time cap (default ${defaultSoakSettings.maxMinutes})
  --help`;

const argv = process.argv.slice(2).filter((arg) => arg !== '--');
const { values: flags } = parseArgs({
  args: argv,
  options: {
    only: { type: 'string' },
    skip: { type: 'string' },
    'skip-soak': { type: 'boolean' },
    quick: { type: 'boolean' },
    paths: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    'nginx-workers': { type: 'string' },
    metering: { type: 'string' },
    'soak-requests': { type: 'string' },
    'soak-minutes': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
const list = (value, allowed, flag) => {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.filter((item) => !allowed.includes(item));
  if (unknown.length > 0) {
    console.error(`bench: unknown ${flag} ${unknown.join(', ')}; one of ${allowed.join(', ')}\n\n${HELP}`);
    process.exit(2);
  }
  return items;
};
const number = (value, flag) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    console.error(`bench: ${flag} needs a positive number, got ${value}`);
    process.exit(2);
  }
  return parsed;
};

const only = flags.only === undefined ? undefined : list(flags.only, PARTS, '--only part');
const skip = [
  ...(flags.skip === undefined ? [] : list(flags.skip, PARTS, '--skip part')),
  ...(flags['skip-soak'] ? ['soak'] : []),
];
const parts = PARTS.filter(
  (part) =>
    (only === undefined ? !(flags.quick && part === 'soak') : only.includes(part)) && !skip.includes(part),
);
if (flags.metering !== undefined && !['on', 'off'].includes(flags.metering)) {
  console.error('bench: --metering on|off');
  process.exit(2);
}
const metering = flags.metering !== 'off';
const relaySettings = {
  ...defaultRelaySettings,
  ...(flags.quick ? quickRelaySettings : {}),
  metering,
  ...(flags.paths === undefined ? {} : { paths: list(flags.paths, PATH_IDS, '--paths id') }),
  ...(flags.rounds === undefined ? {} : { rounds: Math.round(number(flags.rounds, '--rounds')) }),
  ...(flags.duration === undefined ? {} : { durationS: number(flags.duration, '--duration') }),
  ...(flags.connections === undefined
    ? {}
    : { connections: Math.round(number(flags.connections, '--connections')) }),
  ...(flags['nginx-workers'] === undefined
    ? {}
    : { nginxWorkers: Math.round(number(flags['nginx-workers'], '--nginx-workers')) }),
};
const soakSettings = {
  ...defaultSoakSettings,
  metering,
  ...(flags['soak-requests'] === undefined
    ? {}
    : { requests: Math.round(number(flags['soak-requests'], '--soak-requests')) }),
  ...(flags['soak-minutes'] === undefined
    ? {}
    : { maxMinutes: number(flags['soak-minutes'], '--soak-minutes') }),
};

const log = (line) => console.error(line);

/** Which code ran: the commit, whether packages/ had uncommitted changes, when the Node-side builds were made. */
function workspaceState() {
  const git = (...args) =>
    execFileSync('git', args, { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' }).trim();
  let revision = 'unknown commit';
  try {
    revision = git('rev-parse', '--short', 'HEAD');
    if (
      git(
        'status',
        '--porcelain',
        '--',
        ...['core', 'node', 'deno', 'bun'].map((name) => `../../../packages/${name}`),
      ) !== ''
    )
      revision += ' + uncommitted changes in packages/{core,node,deno,bun}';
  } catch {}
  const built = ['@auth/core', '@auth/node', '@auth/bun']
    .map((name) => {
      try {
        return `${name} ${statSync(fileURLToPath(import.meta.resolve(name))).mtime.toISOString()}`;
      } catch {
        return `${name} ?`;
      }
    })
    .join(', ');
  return `workspace at ${revision}; builds: ${built} (@auth/deno runs from source)`;
}

const report = {
  started: new Date(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  workspace: workspaceState(),
  parts,
  quick: Boolean(flags.quick),
  argv,
  timings: {},
};
report.failures = {};
/** Runs one part; a part that fails is reported as FAILED (the others still run) and the exit code is 1. */
const timed = async (part, run) => {
  log(`bench: ${part}…`);
  const started = performance.now();
  try {
    return await run();
  } catch (error) {
    console.error(error);
    report.failures[part] = String(error?.stack ?? error);
    process.exitCode = 1;
    return undefined;
  } finally {
    report.timings[part] = (performance.now() - started) / 1000;
    log(`bench: ${part} done in ${report.timings[part].toFixed(0)} s`);
  }
};

const overall = performance.now();
if (parts.includes('core'))
  report.core = await timed('core', () => benchCore(flags.quick ? { rounds: 2, maxMs: 500 } : {}));
if (parts.includes('cold-start'))
  report.coldStart = await timed('cold-start', () => benchColdStart(flags.quick ? { runs: 5 } : {}));
if (parts.includes('relay')) {
  report.relay = await timed('relay', async () => {
    const inProcess = await benchRelayInProcess({ metering });
    return { ...(await benchRelay(relaySettings, log)), inProcess };
  });
}
if (parts.includes('soak')) report.soak = await timed('soak', () => benchSoak(soakSettings, log));
report.totalS = (performance.now() - overall) / 1000;

const results = new URL('../results/', import.meta.url);
if (report.relay !== undefined) {
  writeFileSync(new URL('latest.svg', results), relayChart(report));
  report.chart = 'latest.svg';
}
const markdown = renderReport(report);
console.log(markdown);
writeFileSync(new URL('latest.md', results), markdown);
log(
  `bench: wrote apps/bench/results/latest.md${report.chart ? ' and latest.svg' : ''} (${report.totalS.toFixed(0)} s)`,
);
