/** What a finished subprocess printed. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

const packageRoot = new URL('..', import.meta.url).pathname;

/**
 * Runs this Bun binary with `args` (in the package folder unless `cwd` says otherwise), with only the given
 * environment plus PATH and HOME, so nothing of the test runner's environment can decide the outcome.
 */
export async function runBun(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = packageRoot,
): Promise<Finished> {
  const child = Bun.spawn([process.execPath, ...args], {
    cwd,
    env: { PATH: Bun.env.PATH ?? '', HOME: Bun.env.HOME ?? '', NO_COLOR: '1', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}
