import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RelayEvent, RelayLimits, RelayRateLimit } from '@auth/node';

/** One relay server in the child: a name for its URL, and the upstream it forwards to. */
export interface ChildRelay {
  name: string;
  baseURL: string;
  /** Default: limits far above anything a test sends. The store is per relay. */
  rateLimit?: Pick<RelayRateLimit, 'requestsPerMinute' | 'maxConcurrentStreams'> | false;
}

/** Options of {@link startRelayChild}. */
export interface RelayChildOptions {
  /** The server key, sent over IPC only. */
  key: string;
  relays: ChildRelay[];
  /** `serveRelay` options shared by every relay of the child. */
  serve?: {
    headersTimeoutMs?: number;
    requestTimeoutMs?: number;
    keepAliveTimeoutMs?: number;
    limits?: RelayLimits;
  };
  /** Print every relay event as a JSON line (then `events()` has them). Default false. */
  logEvents?: boolean;
}

/** What the child says about itself. */
export interface ChildStats {
  /** Relay events so far (one per request that reached the relay). */
  relayed: number;
  /** Events by `"<status> <error code>"`, e.g. `"200"`, `"504 upstream_timeout"`. */
  counts: Record<string, number>;
  memory: NodeJS.MemoryUsage;
}

/** The kernel's view of the child: what it really holds. */
export interface ProcessSample {
  rssBytes: number;
  fds: number;
}

/** A relay running in a child process. */
export interface RelayChild {
  readonly pid: number;
  /** `serveRelay`'s `url` of each relay, by name. */
  readonly urls: Readonly<Record<string, string>>;
  /** Every line the child printed on stdout and stderr, for leak scans. */
  readonly lines: readonly string[];
  /** The relay events printed so far (`logEvents`), with the relay's name. */
  events(): (RelayEvent & { relay: string })[];
  /** Asks the child for its counts; `gc` runs a full collection first. */
  stats(options?: { gc?: boolean }): Promise<ChildStats>;
  /** RSS and open file descriptors, read from /proc. */
  sample(): ProcessSample;
  /** Closes the relays and ends the child; kills it if it does not exit in time. Safe to call twice. */
  stop(): Promise<void>;
}

const childScript = fileURLToPath(new URL('./relay-child.mjs', import.meta.url));
// --expose-gc: `stats({ gc: true })` measures after a full collection. --predictable-gc-schedule fixes V8's heap
// growing and memory-reducing heuristics: without it the same relay's RSS swung by ±15 % between samples
// (old space 12–35 MB for 10 MB live) in trial runs, more than the growth the tests bound. The relay's code
// runs the same; what is retained still shows, what V8 merely keeps in reserve no longer does.
const childFlags = ['--expose-gc', '--predictable-gc-schedule', childScript];
// Variables that would change what the child does behind the test's back: a proxy for upstream requests
// (undici's proxy agent would route loopback through it), a key or base URL from the environment.
const droppedVariables = /^(?:https?_proxy|no_proxy|all_proxy|openai_.*|node_options)$/i;

/**
 * Starts `relay-child.mjs` (with the flags above) and an IPC channel, sends it the configuration (the key
 * included) and resolves once every relay listens. Always `stop()` it (afterAll/finally).
 *
 * @example
 * const child = await startRelayChild({ key, relays: [{ name: 'main', baseURL: upstream.url }] });
 * try { await fetch(`${child.urls.main}/api/openai/models`, { headers: { cookie: 'session=a' } }); }
 * finally { await child.stop(); }
 */
export async function startRelayChild(options: RelayChildOptions): Promise<RelayChild> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !droppedVariables.test(name)),
  );
  const child = spawn(process.execPath, childFlags, {
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      const parts = (rest + text).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    });
    stream?.on('end', () => {
      if (rest !== '') lines.push(rest);
    });
  }
  // 'error' without 'exit' when the process could not be spawned at all.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.connected)
        child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  let urls: Record<string, string>;
  try {
    const config = { ...options, serve: options.serve ?? {}, logEvents: options.logEvents === true };
    child.send({ type: 'start', config });
    const ready = await nextMessage(
      child,
      (message) => message.type === 'ready' || message.type === 'failed',
      20_000,
    );
    if (ready.type === 'failed') {
      throw new Error(`relay child failed to start: [${String(ready.code)}] ${String(ready.message)}`);
    }
    urls = ready.urls as Record<string, string>;
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid!;

  return {
    pid,
    urls,
    lines,
    events() {
      return lines.filter((line) => line.startsWith('{"relay":')).map((line) => JSON.parse(line));
    },
    async stats(statsOptions = {}) {
      const answer = nextMessage(child, (message) => message.type === 'stats', 10_000);
      child.send({ type: 'stats', gc: statsOptions.gc === true });
      const { relayed, counts, memory } = await answer;
      return { relayed, counts, memory } as ChildStats;
    },
    sample: () => sampleProcess(pid),
    stop,
  };
}

interface ChildMessage {
  type: string;
  [field: string]: unknown;
}

function nextMessage(
  child: ChildProcess,
  accept: (message: ChildMessage) => boolean,
  ms: number,
): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`relay child: no answer within ${ms} ms`)), ms);
    const onMessage = (message: ChildMessage) => {
      if (accept(message)) finish(undefined, message);
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`relay child exited (code ${code}, signal ${signal}) before answering`));
    const onError = (error: Error) => finish(error);
    const finish = (error?: Error, message?: ChildMessage) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
      if (error) reject(error);
      else resolve(message!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** RSS (from /proc/<pid>/status) and open descriptors (/proc/<pid>/fd) of a process. */
export function sampleProcess(pid: number): ProcessSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kilobytes)) throw new Error(`no VmRSS for process ${pid}`);
  return { rssBytes: kilobytes * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}
