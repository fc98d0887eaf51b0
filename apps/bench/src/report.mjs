// The markdown report and the relay chart, from what the run measured. Nothing here is a number of its own: a
// row that did not run says so, and every target line quotes the measured values it compares.
import { KINDS } from './bench-relay.mjs';
import { barChart } from './svg.mjs';

const CORE_TARGET = 1_000_000;
const int = (value) => Math.round(value).toLocaleString('en-US');
const ms = (value, digits = 2) => (value === undefined ? '—' : `${value.toFixed(digits)} ms`);
const signedMs = (value) =>
  value === undefined ? '—' : `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)} ms`;
const us = (value) => (value === undefined ? '—' : `${int(value)} µs`);
const mb = (kb) => (kb === undefined ? '—' : `${(kb / 1024).toFixed(1)} MB`);
const ratio = (value, digits = 2) =>
  value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(digits)}×`;
const verdict = (met) => (met === undefined ? '**not measured**' : met ? '**met**' : '**NOT met**');

const kindOf = (path) => (path.ours ? 'ours' : ['nginx', 'portkey'].includes(path.id) ? 'peer' : 'baseline');

function relayIndex(relay) {
  const byId = new Map(relay.paths.map((path) => [path.id, path]));
  const ran = (id) => {
    const path = byId.get(id);
    return path !== undefined && path.notRun === undefined ? path : undefined;
  };
  return { byId, ran };
}

/** The targets of the brief, each with the measured values it compares and, when it is not met, what limits it. */
export function relayTargets(relay) {
  const { ran } = relayIndex(relay);
  const [a, b, c, n, p, bBun, cMin] = [
    'direct',
    'forwarder',
    'node',
    'nginx',
    'portkey',
    'forwarder-bun',
    'node-min',
  ].map(ran);
  const ourRuntimes = ['node', 'deno', 'bun'].map(ran).filter(Boolean);
  const cpuNote = (path, kind) => {
    const r = path?.results[kind];
    return r === undefined
      ? ''
      : `${path.short}: ${us(r.cpuUs)} CPU/request, ${r.cpuShare.toFixed(2)} cores busy`;
  };
  const targets = [];
  for (const kind of KINDS) {
    const value = c && b ? c.results[kind].rps / b.results[kind].rps : undefined;
    targets.push({
      what: `Node relay (c), full policy, ${kind} throughput ≥ 1.0× the minimal forwarder (b)`,
      measured:
        value === undefined
          ? 'row (c) or (b) not run'
          : `${int(c.results[kind].rps)} vs ${int(b.results[kind].rps)} req/s = ${ratio(value, 3)}`,
      met: value === undefined ? undefined : value >= 1.0,
      limit:
        value === undefined
          ? ''
          : `${cpuNote(c, kind)}; ${cpuNote(b, kind)}${cMin ? `; the same relay with minimal policy (c-min): ${ratio(cMin.results[kind].rps / b.results[kind].rps)} of (b), ${cpuNote(cMin, kind).replace(/^[^:]*: /, '')}` : ''}`,
    });
  }
  for (const kind of KINDS) {
    const value = c && p ? c.results[kind].rps / p.results[kind].rps : undefined;
    targets.push({
      what: `Node relay (c) ${kind} throughput ≥ 10× Portkey (p)`,
      measured:
        value === undefined
          ? 'row (c) or (p) not run'
          : `${int(c.results[kind].rps)} vs ${int(p.results[kind].rps)} req/s = ${ratio(value, 3)}`,
      met: value === undefined ? undefined : value >= 10,
      limit:
        value === undefined
          ? ''
          : `${cpuNote(p, kind)}; ${cpuNote(c, kind)}${b ? `; the no-policy forwarder (b) itself reaches ${ratio(b.results[kind].rps / p.results[kind].rps, 1)} Portkey` : ''}`,
    });
  }
  {
    const value = c && a ? c.idleP50 - a.idleP50 : undefined;
    targets.push({
      what: 'Node relay (c) added median latency on an idle connection ≤ 0.3 ms (vs direct)',
      measured:
        value === undefined
          ? 'row (c) or (a) not run'
          : `${ms(c.idleP50)} − ${ms(a.idleP50)} = ${signedMs(value)}`,
      met: value === undefined ? undefined : value <= 0.3,
      limit:
        value === undefined
          ? ''
          : `(b) adds ${signedMs(b && b.idleP50 - a.idleP50)} with no policy${cMin ? `, (c-min) ${signedMs(cMin.idleP50 - a.idleP50)} with minimal policy` : ''}, nginx ${signedMs(n && n.idleP50 - a.idleP50)}; core's Fetch API \`createRelay\` alone, in process, costs ${us(relay.inProcess?.usPerRequest)} per request`,
    });
  }
  {
    const value = c && a ? c.firstEventP50 - a.firstEventP50 : undefined;
    targets.push({
      what: 'Node relay (c) first SSE event ≤ 1 ms later than direct',
      measured:
        value === undefined
          ? 'row (c) or (a) not run'
          : `${ms(c.firstEventP50)} − ${ms(a.firstEventP50)} = ${signedMs(value)}`,
      met: value === undefined ? undefined : value <= 1,
      limit:
        value === undefined
          ? ''
          : `(b) ${signedMs(b && b.firstEventP50 - a.firstEventP50)}, nginx ${signedMs(n && n.firstEventP50 - a.firstEventP50)}, Portkey ${signedMs(p && p.firstEventP50 - a.firstEventP50)}`,
    });
  }
  for (const kind of KINDS) {
    const fastest = ourRuntimes.reduce(
      (best, path) => (best === undefined || path.results[kind].rps > best.results[kind].rps ? path : best),
      undefined,
    );
    const value = fastest && n ? fastest.results[kind].rps / n.results[kind].rps : undefined;
    targets.push({
      what: `fastest of our three runtimes, ${kind}, ≥ 0.8× nginx (n)`,
      measured:
        value === undefined
          ? `${fastest ? 'row (n)' : 'no relay row'} not run`
          : `${fastest.short} ${int(fastest.results[kind].rps)} vs ${int(n.results[kind].rps)} req/s = ${ratio(value, 3)}${ourRuntimes.length < 3 ? ` (only ${ourRuntimes.length} of the 3 runtimes ran)` : ''}`,
      met: value === undefined ? undefined : value >= 0.8,
      limit:
        value === undefined
          ? ''
          : `${cpuNote(fastest, kind)}; ${cpuNote(n, kind)}${bBun ? `; Bun's own no-policy forwarder (b-bun) reaches ${ratio(bBun.results[kind].rps / n.results[kind].rps, 3)} nginx, ${cpuNote(bBun, kind).replace(/^[^:]*: /, '')}` : ''}`,
    });
  }
  return targets;
}

function relaySection(report) {
  const { relay } = report;
  const { settings } = relay;
  const { ran } = relayIndex(relay);
  const a = ran('direct');
  const b = ran('forwarder');
  const lines = [
    '## Relay side by side (loopback)',
    '',
    `POST /chat/completions through each path to the same node:http stub upstream (its own process; it answers 401 ` +
      `unless the run's fake key arrives in \`Authorization\`), same bodies. autocannon ${settings.connections} connections, ` +
      `running in the bench process: load generator, proxy and upstream share the machine's ${report.machine.split(' ')[0]} cores. ` +
      `Each path is checked for the whole answer before and after the load. Throughput: a ${settings.warmupS} s warm-up per path ` +
      `and kind, then ${settings.rounds} round(s) of ${settings.durationS} s, the order of the paths reversed every other round; ` +
      `the best round is reported (interference on a shared machine only slows a path down), with every round's req/s and the ` +
      `errors of all rounds. p50/p99 are autocannon's (whole ms). CPU is utime+stime of the proxy process and its children from ` +
      `/proc over the round, divided by the requests; "cores" is that CPU time over the wall time (> 1: more than one ` +
      `thread busy). RSS is the proxy's (all its processes) from /proc, after start and after the load rounds. SSE is 20 events + [DONE].`,
    '',
    `Full policy on (c), (c-deno), (c-bun): session check (the session cookie looked up in a map of 10,001 ` +
      `sessions), route allowlist (4 routes), model allowlist, per-principal rate limits on the in-memory store (limits never ` +
      `reached), the fake key from a resolver, onEvent metering **${settings.metering ? 'on' : 'off'}**. nginx: ` +
      `${settings.nginxWorkers} worker(s), keep-alive upstream, \`proxy_buffering off\`, no policy. Portkey: \`x-portkey-provider: openai\`, ` +
      '`x-portkey-custom-host` = the stub, key sent by the caller; it has no host option and listens on all interfaces, so the bench ' +
      'preloads a module that binds it to 127.0.0.1 and re-wraps each upstream response in a native `Response` (as installed, ' +
      'Portkey 1.15.2 answers every stream with 500 on Node: Portkey-AI/gateway issues 1389, 1550).',
    '',
    "Two rows are references, not choices: (b-bun) is Bun.serve handing each request to Bun's fetch and returning its " +
      "answer, no policy (about the most any relay on Bun's HTTP stack can reach); (c-min) is our Node relay with minimal " +
      "policy (any caller, one route, no model allowlist, no rate limits, no metering), which splits (c)'s cost into " +
      'transport and policy.',
    '',
  ];
  for (const kind of KINDS) {
    lines.push(
      `| ${kind}: path | req/s (best) | × (a) | × (b) | p50 | p99 | CPU/req | cores | errors | every round (req/s) |`,
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const path of relay.paths) {
      if (path.notRun !== undefined) {
        lines.push(`| ${path.label} | ${path.notRun} | | | | | | | | |`);
        continue;
      }
      const r = path.results[kind];
      lines.push(
        `| ${path.label} | ${int(r.rps)} | ${ratio(r.rps / a.results[kind].rps)} | ${ratio(r.rps / b.results[kind].rps)} | ${r.p50} ms | ${r.p99} ms | ${path.id === 'direct' ? '—' : us(r.cpuUs)} | ${path.id === 'direct' ? '—' : r.cpuShare.toFixed(2)} | ${r.errors} | ${r.rounds.map(int).join(' / ')} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    `Latency with no load, one request at a time on one keep-alive connection, timed in the bench to 0.01 ms: ` +
      `${settings.latencyRounds} alternating blocks of up to ${settings.latencyPerRound} requests (≤ 1 s) per path, median of all. ` +
      'Idle = whole JSON answer; first SSE event = until the first body bytes of a stream.',
    '',
    '| path | idle p50 | added vs (a) | first SSE event p50 | later than (a) | samples (idle / SSE) | RSS after start | RSS after load |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const path of relay.paths) {
    if (path.notRun !== undefined) {
      lines.push(`| ${path.label} | not run | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${path.label} | ${ms(path.idleP50)} | ${path.id === 'direct' ? '—' : signedMs(path.idleP50 - a.idleP50)} | ${ms(path.firstEventP50)} | ${path.id === 'direct' ? '—' : signedMs(path.firstEventP50 - a.firstEventP50)} | ${path.latencySamples.json} / ${path.latencySamples.sse} | ${path.id === 'direct' ? '—' : mb(path.rssStartKb)} | ${path.id === 'direct' ? '—' : mb(path.rssAfterKb)} |`,
    );
  }
  lines.push('');
  for (const path of relay.paths) {
    if (path.brokenAfterLoad)
      lines.push(
        `**${path.label} no longer answered correctly after the load:** ${path.brokenAfterLoad}`,
        '',
      );
  }
  lines.push(
    `Core's \`createRelay\` alone (the Fetch API relay Deno and Bun serve), in process (Request in, fake upstream, Response read out, same policy): ${us(relay.inProcess.usPerRequest)} per request.`,
  );
  if (report.chart) lines.push('', `![Relay throughput and latency per path](${report.chart})`);
  lines.push('', '### Targets', '', '| target | measured | verdict | what limits it |', '|---|---|---|---|');
  for (const target of relayTargets(relay))
    lines.push(`| ${target.what} | ${target.measured} | ${verdict(target.met)} | ${target.limit} |`);
  lines.push('');
  return lines;
}

function soakSection(soak) {
  const { settings } = soak;
  const met =
    soak.errors === 0 &&
    soak.growthPct !== undefined &&
    soak.growthPct < 10 &&
    soak.requests >= settings.requests &&
    soak.stillAnswers;
  return [
    '## Soak: serveRelay on Node, full policy',
    '',
    `${int(settings.requests)} JSON requests asked for, ${settings.connections} connections, capped at ${settings.maxMinutes} min; ` +
      'fresh stub and relay processes. RSS of the relay process from /proc every second; "after warm-up" is the sample once ' +
      `${int(Math.min(100_000, Math.ceil(settings.requests / 10)))} requests or 60 s were done, whichever came first, and RSS at end the sample as the load ended; peak is after warm-up. ` +
      'RSS saws up and down with the garbage collector, so growth compares the median RSS of the first fifth of the time after warm-up with that of the last fifth.',
    '',
    '| requests done | errors | duration | req/s | RSS at start | RSS after warm-up | RSS at end | peak | median RSS, first → last fifth | growth | answers after | verdict |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    `| ${int(soak.requests)}${soak.cappedByTime ? ` (time cap hit: ${((soak.requests / settings.requests) * 100).toFixed(0)} % of ${int(settings.requests)})` : ''} | ${soak.errors}${soak.timeouts ? ` (${soak.timeouts} timeouts)` : ''} | ${(soak.durationS / 60).toFixed(1)} min | ${int(soak.rps)} | ${mb(soak.rssStartKb)} | ${soak.warm ? `${mb(soak.warm.rssKb)} at ${int(soak.warm.done)}` : '—'} | ${mb(soak.endRssKb)} | ${mb(soak.peakKb)} | ${soak.firstFifthKb === undefined ? '—' : `${mb(soak.firstFifthKb)} → ${mb(soak.lastFifthKb)}`} | ${soak.growthPct === undefined ? '—' : `${soak.growthPct >= 0 ? '+' : ''}${soak.growthPct.toFixed(1)} %`} | ${soak.stillAnswers ? 'yes' : '**no**'} | target (${int(settings.requests)}, 0 errors, growth < 10 %): ${verdict(met)} |`,
    '',
  ];
}

export function renderReport(report) {
  const lines = [
    '# Benchmarks',
    '',
    `Run ${report.started.toISOString()} on ${report.machine}; parts: ${report.parts.join(', ')}${report.quick ? ' (--quick)' : ''}` +
      `${report.argv.length ? `; flags: \`${report.argv.join(' ')}\`` : ''}. Took ${(report.totalS / 60).toFixed(1)} min ` +
      `(${Object.entries(report.timings)
        .map(([part, s]) => `${part} ${Math.round(s)} s`)
        .join(', ')}).`,
    '',
    `Code: ${report.workspace}.`,
    '',
  ];
  if (report.core) {
    lines.push(
      '## Core hot path',
      '',
      'Best of several rounds, each bounded in count and time.',
      '',
      '| operation | ops/s | target |',
      '|---|---:|---|',
      ...report.core.map(
        (row, index) =>
          `| ${row.name} | ${int(row.opsPerSecond)} | ${index < 2 ? `≥ ${int(CORE_TARGET)} ${row.opsPerSecond >= CORE_TARGET ? '(met)' : '(NOT met)'}` : ''} |`,
      ),
      '',
    );
  }
  if (report.coldStart) {
    lines.push(
      '## Cold start (fresh process, median)',
      '',
      '| what | import → ready (in process) | whole process (wall) |',
      '|---|---:|---:|',
      ...report.coldStart.map(
        (row) => `| ${row.name} | ${row.insideMs.toFixed(1)} ms | ${row.wallMs.toFixed(1)} ms |`,
      ),
      '',
      `Cold start: ${report.coldStart[0]?.runs} fresh processes per row, run alternately.`,
      '',
    );
  }
  for (const [part, message] of Object.entries(report.failures ?? {}))
    lines.push(`## ${part}: FAILED`, '', '```', message, '```', '');
  if (report.relay) lines.push(...relaySection(report));
  if (report.soak) lines.push(...soakSection(report.soak));
  else if (report.parts.includes('relay'))
    lines.push('Soak: not run in this run (`--skip-soak`, `--quick` or `--only`).', '');
  return lines.join('\n');
}

export function relayChart(report) {
  const { relay } = report;
  const row = (path, value) => ({
    label: path.short,
    value,
    kind: kindOf(path),
    note: path.notRun === undefined ? undefined : 'not run',
  });
  const measured = (path, pick) => (path.notRun === undefined ? pick(path) : undefined);
  const panels = [
    ...KINDS.map((kind) => ({
      title: `${kind} throughput, req/s (${relay.settings.connections} connections; more is better)`,
      format: (value) => `${int(value)} req/s`,
      rows: relay.paths.map((path) =>
        row(
          path,
          measured(path, (p) => p.results[kind].rps),
        ),
      ),
    })),
    {
      title: 'Idle latency, median, one request at a time (JSON; less is better)',
      format: (value) => `${value.toFixed(2)} ms`,
      rows: relay.paths.map((path) =>
        row(
          path,
          measured(path, (p) => p.idleP50),
        ),
      ),
    },
    {
      title: 'Time to first SSE event, median (less is better)',
      scale: 'auto',
      format: (value) => `${value.toFixed(2)} ms`,
      rows: relay.paths.map((path) =>
        row(
          path,
          measured(path, (p) => p.firstEventP50),
        ),
      ),
    },
    {
      title: 'CPU per request of the proxy process, JSON (less is better)',
      format: (value) => `${int(value)} µs`,
      rows: relay.paths
        .filter((path) => path.id !== 'direct')
        .map((path) =>
          row(
            path,
            measured(path, (p) => p.results.JSON.cpuUs),
          ),
        ),
    },
  ];
  return barChart(
    'Relay side by side: same stub upstream, loopback',
    `${report.started.toISOString()} · ${report.machine} · best of ${relay.settings.rounds} round(s) of ${relay.settings.durationS} s · metering ${relay.settings.metering ? 'on' : 'off'}`,
    panels,
  );
}
