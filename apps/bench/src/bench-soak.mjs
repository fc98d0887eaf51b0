// Soak: N requests (default 1,000,000) of the JSON completion through serveRelay on Node with the full policy,
// 50 connections, bounded in time too (default 13 min: then it reports how many it did). Fresh stub upstream and
// fresh relay process. RSS of the relay process is read from /proc every second; "after warm-up" is the sample
// taken once the first 10 % of the requested count (at most 100,000) or the first 60 s are done, whichever comes
// first. RSS saws up and down by 15-20 % with the garbage collector, so growth compares the median of the
// samples in the first fifth of the time after warm-up with the median of those in the last fifth: two single
// samples would measure where on the saw each fell.
import { fileURLToPath } from 'node:url';
import { checkOnce, KINDS, startLoad, startUpstream } from './bench-relay.mjs';
import { MOUNT } from './fixtures.mjs';
import { startProcess } from './processes.mjs';
import { childEnv } from './relay-paths.mjs';

export const defaultSoakSettings = { requests: 1_000_000, maxMinutes: 13, connections: 50, metering: true };

export async function benchSoak(overrides = {}, log = () => {}) {
  const settings = { ...defaultSoakSettings, ...overrides };
  const { ctx, upstream } = await startUpstream({ metering: settings.metering });
  let relay;
  try {
    relay = await startProcess(
      'relay (node, soak)',
      process.execPath,
      [fileURLToPath(new URL('./children/relay-server.mjs', import.meta.url))],
      { env: childEnv(ctx) },
    );
    const url = `${relay.url}${MOUNT}/chat/completions`;
    const headers = {
      'content-type': 'application/json',
      cookie: `session=${ctx.session}`,
      origin: relay.url,
    };
    for (const kind of KINDS) await checkOnce(url, headers, kind);
    const warmupRequests = Math.min(100_000, Math.ceil(settings.requests / 10));
    const rssStartKb = relay.stats().rssKb;
    let done = 0;
    let failedLive = 0;
    let warm;
    let peakKb = 0;
    const samples = [];
    const started = performance.now();
    const capMs = settings.maxMinutes * 60_000;
    let cappedByTime = false;
    const { run: instance } = startLoad(url, headers, 'JSON', {
      connections: settings.connections,
      amount: settings.requests,
      timeout: 30,
    });
    instance.on('response', (_client, statusCode) => {
      done++;
      if (statusCode !== 200) failedLive++;
    });
    instance.on('reqError', () => {
      failedLive++;
    });
    const sampler = setInterval(() => {
      const elapsed = performance.now() - started;
      const { rssKb } = relay.stats();
      if (warm === undefined && (done >= warmupRequests || elapsed >= 60_000))
        warm = { rssKb, done, elapsedS: elapsed / 1000 };
      if (warm !== undefined) {
        peakKb = Math.max(peakKb, rssKb);
        samples.push(rssKb);
      }
      if (Math.round(elapsed / 1000) % 30 === 0)
        log(
          `  soak: ${done.toLocaleString('en-US')} requests, RSS ${(rssKb / 1024).toFixed(1)} MB, ${Math.round(elapsed / 1000)} s`,
        );
      if (elapsed >= capMs && !cappedByTime) {
        cappedByTime = true;
        instance.stop();
      }
    }, 1000);
    let result;
    try {
      result = await instance;
    } finally {
      clearInterval(sampler);
    }
    const durationS = (performance.now() - started) / 1000;
    const endRssKb = relay.stats().rssKb; // right as the load ends, before anything is closed
    let stillAnswers = true;
    try {
      for (const kind of KINDS) await checkOnce(url, headers, kind);
    } catch {
      stillAnswers = false;
    }
    return {
      settings,
      requests: result.requests.total,
      errors: result.errors + result.non2xx,
      timeouts: result.timeouts,
      failedLive,
      cappedByTime,
      durationS,
      rps: result.requests.total / durationS,
      rssStartKb,
      warm,
      endRssKb,
      peakKb: Math.max(peakKb, endRssKb),
      ...fifths(samples),
      stillAnswers,
    };
  } finally {
    await relay?.stop();
    await upstream.stop();
  }
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Median RSS of the first and the last fifth of the samples after warm-up, and the growth between them. */
function fifths(samples) {
  if (samples.length < 10) return { firstFifthKb: undefined, lastFifthKb: undefined, growthPct: undefined };
  const fifth = Math.floor(samples.length / 5);
  const firstFifthKb = median(samples.slice(0, fifth));
  const lastFifthKb = median(samples.slice(-fifth));
  return { firstFifthKb, lastFifthKb, growthPct: ((lastFifthKb - firstFifthKb) / firstFifthKb) * 100 };
}
