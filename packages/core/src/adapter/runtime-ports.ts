import type { EnvReader, TextFileReader } from '../credential-source.ts';

/** The `fetch` shape a runtime hands to core: a plain function, whatever extras the runtime's own has. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** One run of a credential process, as `fromCommand` asks for it. */
export interface CommandRequest {
  /** The program, found on `PATH` when it holds no slash. Never a shell line: there is no shell. */
  readonly command: string;
  /** Passed to the program as they are: nothing is expanded or injected. */
  readonly args: readonly string[];
  /** Added to the environment the command inherits. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory of the command. */
  readonly cwd?: string | undefined;
  /** Stdout past this many bytes stops the command, and the result says `truncated`. */
  readonly maxBytes: number;
  /** Stderr past this many bytes is read and dropped (so the command never blocks on a full pipe). */
  readonly maxStderrBytes: number;
  /**
   * Aborting it stops the command (SIGTERM, then SIGKILL after a grace period) and rejects the run with
   * `signal.reason`: this is how the run is bounded in time (`fromProvider`'s timeout aborts it).
   */
  readonly signal: AbortSignal;
}

/** How a credential process ended and what it printed (stdout at most `maxBytes`, stderr at most `maxStderrBytes`). */
export interface CommandResult {
  /** The exit code, or `null` when a signal ended the process (its name is in `signal`). */
  readonly exitCode: number | null;
  /** The signal that ended the process (`'SIGTERM'`…), or `null`. */
  readonly signal: string | null;
  /** What the command printed on stdout, as UTF-8 text. */
  readonly stdout: string;
  /** The start of what the command printed on stderr, as UTF-8 text. */
  readonly stderr: string;
  /** Stdout went past `maxBytes`: the command was stopped, and `stdout` is cut. */
  readonly truncated: boolean;
  /** Stderr went past `maxStderrBytes`, and `stderr` is cut. */
  readonly stderrTruncated: boolean;
}

/**
 * Runs a command without a shell, bounded in time (through `signal`) and output. Rejects with `signal.reason`
 * when aborted, and with the runtime's error when the command cannot be started: its `code` (`ENOENT`,
 * `EACCES`…) or, where the runtime can say more, a `reason` in words (Deno: which `--allow-run` to add).
 */
export type CommandRunner = (request: CommandRequest) => Promise<CommandResult>;

/**
 * What an adapter supplies to `createRuntimeAdapter`: the runtime's own way to read the environment and
 * files, send requests and run commands. Everything else is core's.
 */
export interface RuntimePorts {
  /** The runtime these ports belong to. */
  readonly runtime: 'node' | 'deno' | 'bun';
  /** The runtime's environment, read at call time; may throw where the runtime forbids it. */
  readonly readEnv: EnvReader;
  /** The runtime's bounded secret-file reader. */
  readonly readTextFile: TextFileReader;
  /**
   * The runtime's HTTP client, for an auth fetch created without a `fetch` option. Called once per
   * `createAuthFetch`, so it must be cheap: a heavy client is loaded lazily, with the first request. A
   * `Response` property on the client is passed on to the auth fetch (the official SDK encodes file uploads
   * with `fetch.Response`).
   */
  readonly createFetch: () => FetchFunction;
  /** Runs credential processes for `fromCommand`; `createCommandRunner(spawn)` builds one. */
  readonly runCommand: CommandRunner;
}
