/**
 * `@auth/core/adapter`: what the runtime adapters (`@auth/node`, `@auth/deno`, `@auth/bun`) are built from.
 *
 * An adapter supplies its runtime's ports — how to read the environment and files, which HTTP client to use,
 * how to start a process — and gets the functions of the adapter contract from {@link createRuntimeAdapter}:
 * `createResolver`, `resolveCredentials`, `createAuthFetch`, `fromCommand` and `openaiClientOptions`, the same
 * in every runtime. The checks around a runtime's file read and the command runner over Web streams are here
 * too, so that an adapter holds only runtime glue. Apps use an adapter, not this entry; it is separate from
 * `@auth/core` so that they do not pay for it.
 *
 * @example
 * import { createCommandRunner, createRuntimeAdapter } from '@auth/core/adapter';
 *
 * const adapter = createRuntimeAdapter({
 *   runtime: 'node',
 *   readEnv: (name) => env[name],
 *   readTextFile: (path, { signal }) => readFile(path, { encoding: 'utf8', signal }),
 *   createFetch: () => (input, init) => fetch(input, init),
 *   runCommand: createCommandRunner(spawnCommand),
 * });
 * export const createResolver = adapter.createResolver;
 *
 * @module
 */

/**
 * What an API error body says, for a person: OpenAI's `error.code` and, for 401/403, a hint per cause (invalid
 * key, wrong organization, wrong project, no organization, missing scopes) that never quotes OpenAI's own text.
 * The relay reports it through `onEvent`; `openai-auth doctor --check` prints it.
 *
 * @example
 * describeUpstreamError(401, await response.text()).hint; // 'The OpenAI-Project sent is not the key’s project: …'
 */
export { describeUpstreamError, type UpstreamErrorInfo } from '../relay/describe-upstream-error.ts';
/**
 * Waits for a promise unless an abort signal fires first, for runtime calls that take no signal.
 *
 * @example
 * const info = await abortable(stat(path), signal);
 */
export { abortable } from './abortable.ts';
/**
 * The option types of the adapter functions, the same in every adapter (which re-export them).
 *
 * @example
 * const options: AuthOptions = { organization: null, refreshAheadMs: 60_000 };
 */
export type {
  AuthOptions,
  CreateAuthFetchOptions,
  FromCommandOptions,
  OpenAIClientOptions,
  OpenAIClientOptionsInput,
  ReadTextFileOptions,
} from './auth-options.ts';
/**
 * The size and kind checks of a secret file read: a regular file no larger than `maxBytes`.
 *
 * @example
 * checkTextFile(await stat(path), path, maxBytes);
 * checkTextFile({ kind: info.isFile ? 'file' : 'other', size: info.size }, path, maxBytes);
 */
export {
  checkTextFile,
  defaultTextFileMaxBytes,
  type FileKind,
  type FileStats,
  type TextFileInfo,
} from './check-text-file.ts';
/**
 * The `CommandRunner` port over a runtime's spawn with Web-stream output: output limits, abort, SIGTERM then
 * SIGKILL.
 *
 * @example
 * const runCommand = createCommandRunner((command, args, options) => {
 *   const child = spawnChild(command, args, options); // the runtime's spawn: see @auth/deno's spawn-command.ts
 *   return { stdout: child.stdout, stderr: child.stderr, exited: exitOf(child), kill: (signal) => child.kill(signal) };
 * });
 */
export {
  type CommandExit,
  type CommandRunnerOptions,
  createCommandRunner,
  type SpawnCommand,
  type SpawnedCommand,
} from './create-command-runner.ts';
/**
 * The adapter functions of the contract, built from a runtime's ports.
 *
 * @example
 * const adapter = createRuntimeAdapter(ports);
 * const client = new OpenAI(adapter.openaiClientOptions());
 */
export { createRuntimeAdapter, type RuntimeAdapter } from './create-runtime-adapter.ts';
/**
 * The bytes of a secret file as text: at most `maxBytes`, UTF-8 only.
 *
 * @example
 * const text = decodeTextFile(buffer.subarray(0, length), path, maxBytes);
 */
export { decodeTextFile } from './decode-text-file.ts';
/**
 * A credential process as a source, on any `CommandRunner`: output parsing, errors that never quote stdout.
 *
 * @example
 * const source = fromCommand(runCommand, 'pass', ['show', 'openai/api-key'], { ttlMs: 600_000 });
 */
export { fromCommand } from './from-command.ts';
/**
 * Whether a request's URL names its own `Host`; `serveRelay` refuses those that do not.
 *
 * @example
 * if (!namesOwnHost(request)) return new Response(null, { status: 403 });
 */
export { namesOwnHost } from './names-own-host.ts';
/**
 * The ports an adapter supplies.
 *
 * @example
 * const ports: RuntimePorts = { runtime: 'bun', readEnv, readTextFile, createFetch, runCommand };
 */
export type {
  CommandRequest,
  CommandResult,
  CommandRunner,
  FetchFunction,
  RuntimePorts,
} from './runtime-ports.ts';
