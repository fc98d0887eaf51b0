// Every process the bench starts goes through here: it is tracked until it exits, and killed (with every
// descendant, e.g. nginx's workers) when the bench exits, fails, or gets SIGINT/SIGTERM/SIGHUP. CPU time and
// resident memory come from /proc (the proxy process and its descendants), so Node, Deno, Bun, nginx and
// Portkey are measured the same way.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const live = new Map(); // pid → { name, child, exited }
const tempDirs = new Set();

/** A temp dir removed when the bench exits, whatever happens (nginx's prefix). */
export function registerTempDir(dir) {
  tempDirs.add(dir);
  return () => {
    tempDirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };
}

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Every descendant of `pid`, found by scanning /proc for parent ids. */
export function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(entry)[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {}
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** CPU seconds (user + system, all threads) and resident memory (kB) of `pid` and its descendants. */
export function processTreeStats(pid) {
  let ticks = 0;
  let rssKb = 0;
  for (const each of [pid, ...descendants(pid)]) {
    try {
      const fields = statFields(each);
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
      const status = readFileSync(`/proc/${each}/status`, 'utf8');
      rssKb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {}
  }
  return { cpuS: ticks / ticksPerSecond, rssKb };
}

function killTree(pid, signal) {
  let tree = [pid];
  try {
    tree = [pid, ...descendants(pid)];
  } catch {}
  for (const each of tree) {
    try {
      process.kill(each, signal);
    } catch {}
  }
}

/** SIGKILL to every process the bench started and all their descendants; temp dirs removed. Synchronous. */
export function killEverything() {
  for (const pid of live.keys()) killTree(pid, 'SIGKILL');
  live.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** SIGTERM to every process the bench started (nginx's master then stops its workers), ≤ 2 s, then killEverything. */
async function stopEverything() {
  const waiting = [...live.values()].map(({ child, exited }) => {
    child.stdin?.end();
    child.kill('SIGTERM');
    return exited;
  });
  await Promise.race([Promise.all(waiting), new Promise((resolve) => setTimeout(resolve, 2000))]);
  killEverything();
}

process.on('exit', killEverything);
let interrupted = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => {
    if (interrupted) {
      killEverything();
      process.exit(code);
    }
    interrupted = true;
    console.error(`\nbench: ${signal}, stopping every process it started`);
    stopEverything().finally(() => process.exit(code));
  });
}

/** A free TCP port on 127.0.0.1 (for servers that must be told one: nginx, Portkey). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, deadline) {
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) }).then((response) => response.arrayBuffer());
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}

/**
 * Starts `command args` and waits until it is ready: a `READY <url>` line on its stdout, or (with `readyUrl`)
 * any HTTP answer from that URL. Resolves to `{ name, pid, url, stats(), stop() }`; rejects with its stderr
 * when it exits first or is not ready within `timeoutMs`.
 */
export async function startProcess(name, command, args, { env, cwd, readyUrl, timeoutMs = 30_000 } = {}) {
  const child = spawn(command, args, { env, cwd, stdio: ['pipe', readyUrl ? 'ignore' : 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  live.set(child.pid, { name, child, exited });
  exited.then(() => live.delete(child.pid));
  child.stdin.on('error', () => {});
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const deadline = performance.now() + timeoutMs;
  let url = readyUrl;
  const failed = (why) => {
    killTree(child.pid, 'SIGKILL');
    return new Error(`bench: ${name} ${why}${stderr ? `:\n${stderr.trim()}` : ''}`);
  };
  if (readyUrl === undefined) {
    url = await new Promise((resolve) => {
      let buffered = '';
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      child.stdout.on('data', (chunk) => {
        buffered += chunk;
        const line = /^READY (\S+)$/m.exec(buffered);
        if (line === null) return;
        clearTimeout(timer);
        resolve(line[1]);
      });
      exited.then(() => resolve(undefined));
    });
    child.stdout.resume();
    if (url === undefined) throw failed('did not start');
  } else if (!(await waitForHttp(readyUrl, child, deadline))) throw failed('did not answer HTTP');
  return {
    name,
    pid: child.pid,
    url,
    stats: () => processTreeStats(child.pid),
    /** Ends stdin and sends SIGTERM; after 3 s, SIGKILL to it and every descendant it still has. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const tree = descendants(child.pid);
      child.stdin.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => killTree(child.pid, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      for (const pid of tree) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    },
  };
}
