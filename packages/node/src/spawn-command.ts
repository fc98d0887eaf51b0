import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import type { CommandExit, SpawnCommand } from '@auth/core/adapter';

/**
 * Node's process spawn as core's `SpawnCommand` port: no shell, stdin closed, `env` added to `process.env`,
 * no console window on Windows. Output goes out as Web streams; a start failure (`ENOENT`, `EACCES`), which
 * Node reports as an `error` event rather than a throw, rejects `exited`.
 */
export const spawnCommand: SpawnCommand = (command, args, options) => {
  const child = spawn(command, [...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    shell: false,
    windowsHide: true,
  });
  const exited = new Promise<CommandExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
  });
  return {
    stdout: Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>,
    stderr: Readable.toWeb(child.stderr) as ReadableStream<Uint8Array>,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
};
