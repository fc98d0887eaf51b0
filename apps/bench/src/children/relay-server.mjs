// (c) serveRelay with the full policy, on whichever runtime runs this file: `node`, `deno run`, `bun`; with
// BENCH_POLICY=minimal, (c-min)'s minimal policy instead. Config from BENCH_CONFIG (JSON: key, upstream, session,
// metering). Prints `READY <url>` once listening;
// closes and exits when stdin ends (the bench closed it, or died) or on SIGTERM.
import process from 'node:process';
import { minimalPolicy, relayPolicy } from '../policy.mjs';

const runtime = globalThis.Deno !== undefined ? 'deno' : globalThis.Bun !== undefined ? 'bun' : 'node';
const adapter = await import(`@auth/${runtime}`);
const config = JSON.parse(process.env.BENCH_CONFIG);
const policy = process.env.BENCH_POLICY === 'minimal' ? minimalPolicy : relayPolicy;
const relay = await adapter.serveRelay({
  ...policy(adapter.createResolver, config),
  hostname: '127.0.0.1',
  port: 0,
});
let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  relay.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.stdout.write(`READY ${relay.url}\n`);
