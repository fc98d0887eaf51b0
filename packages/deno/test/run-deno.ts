/** What a finished subprocess printed. */
export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

const packageRoot = new URL('..', import.meta.url);

/**
 * Runs this Deno binary with `args` in the package folder (so its deno.json applies), with only the given
 * environment plus PATH and HOME, and `NO_COLOR` so output can be matched as text.
 */
export async function runDeno(args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: packageRoot,
    clearEnv: true,
    env: { PATH: Deno.env.get('PATH') ?? '', HOME: Deno.env.get('HOME') ?? '', NO_COLOR: '1', ...env },
    stdin: 'null',
    stdout: 'piped',
    stderr: 'piped',
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}
