import type { SpawnCommand } from '@auth/core/adapter';

/**
 * `Bun.spawn` as core's `SpawnCommand` port: no shell, stdin closed, `env` added to `Bun.env`, no console
 * window on Windows. A command that cannot start throws with its `code` (`ENOENT`, `EACCES`).
 */
export const spawnCommand: SpawnCommand = (command, args, options) => {
  const spawnOptions: Bun.SpawnOptions.SpawnOptions<'ignore', 'pipe', 'pipe'> = {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    // Bun.spawn's env replaces the environment: keep the inherited one (PATH, HOME, agent sockets).
    env: { ...Bun.env, ...options.env },
    windowsHide: true,
  };
  if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
  const child = Bun.spawn([command, ...args], spawnOptions);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    stdout: child.stdout,
    stderr: child.stderr,
    exited: child.exited.then(() => ({
      exitCode: child.exitCode,
      signal: child.signalCode === null ? null : String(child.signalCode),
    })),
    kill(signal) {
      if (running()) child.kill(signal);
    },
  };
};
