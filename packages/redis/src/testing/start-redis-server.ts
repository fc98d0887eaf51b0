import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A real `redis-server` on 127.0.0.1 that a test can kill, pause and start again on the same port. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** SIGKILL, as a crash: resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted); resolves when it accepts connections. */
  start(): Promise<void>;
  /** SIGSTOP: the socket stays open but nothing answers, like a stalled server or a network black hole. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Kills it for good; safe to call twice. */
  stop(): Promise<void>;
}

const redisServerPath = process.env.REDIS_SERVER ?? 'redis-server';
const startTimeoutMs = 5_000;
// Should a test runner die without its afterAll, no redis-server outlives it.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `redis-server` on a free loopback port, without persistence.
 *
 * @example
 * const redis = await startRedisServer();
 * try { … redis.url … } finally { await redis.stop(); }
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child !== undefined) throw new Error('startRedisServer: already running');
    child = await spawnRedis(port);
  };
  const kill = async () => {
    const current = child;
    child = undefined;
    if (current === undefined) return;
    await stopProcess(current);
  };
  const signal = (name: NodeJS.Signals) => {
    if (child === undefined) throw new Error('startRedisServer: not running');
    child.kill(name);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    stop: kill,
  };
}

function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    redisServerPath,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port}: ${reason}\n${output}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${startTimeoutMs} ms`), startTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining its output so that a full pipe never blocks it.
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code) => fail(`exited with ${code}`));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
