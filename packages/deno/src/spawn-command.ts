import type { SpawnCommand } from '@auth/core/adapter';

/**
 * `Deno.Command` as core's `SpawnCommand` port: no shell, stdin closed, `env` added to the inherited
 * environment (`clearEnv` stays false). Without `--allow-run` for the command the start fails with a reason
 * that names the flag to add.
 */
export const spawnCommand: SpawnCommand = (command, args, options) => {
  const commandOptions: Deno.CommandOptions = {
    args: [...args],
    stdin: 'null',
    stdout: 'piped',
    stderr: 'piped',
  };
  if (options.env !== undefined) commandOptions.env = { ...options.env };
  if (options.cwd !== undefined) commandOptions.cwd = options.cwd;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, commandOptions).spawn();
  } catch (error) {
    // NotFound and PermissionDenied carry `code` (ENOENT, EACCES); a refused permission says nothing useful.
    if (error instanceof Deno.errors.NotCapable) {
      throw Object.assign(error, { reason: `not allowed; run Deno with --allow-run=${command}` });
    }
    throw error;
  }
  return {
    stdout: child.stdout,
    stderr: child.stderr,
    exited: child.status.then((status) => ({
      exitCode: status.signal ? null : status.code,
      signal: status.signal,
    })),
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
    },
  };
};
