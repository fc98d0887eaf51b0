import { spawn } from 'node:child_process';

/** A loopback origin whose connections never complete. */
export interface Blackhole {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Kills the process that holds the port. Safe to call twice. */
  close(): Promise<void>;
}

// Listens with a backlog of 1, prints its port, then blocks its only thread for good: it never calls
// accept(), so once the kernel's accept queue holds its 2 connections every further SYN is dropped and a
// client's connect() hangs, like a firewalled or overloaded upstream ("connect timeout"). Node accepts as
// fast as it can, so no listener inside a live event loop can do this.
const script = `
const server = require('node:net').createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
});
`;

/**
 * Starts a blackhole listener in a child process (the test must `close()` it).
 *
 * @example
 * const blackhole = await startBlackhole();
 * try { await fetch(blackhole.origin, { signal: AbortSignal.timeout(500) }); } // rejects: the connect hangs
 * finally { await blackhole.close(); }
 */
export async function startBlackhole(): Promise<Blackhole> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error('blackhole: no port within 10 s')), 10_000);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\n')) {
          clearTimeout(timer);
          resolve(Number(text.trim()));
        }
      });
      child.once('exit', () => reject(new Error('blackhole: the process exited')));
    });
    return { origin: `http://127.0.0.1:${port}`, close };
  } catch (error) {
    await close();
    throw error;
  }
}
