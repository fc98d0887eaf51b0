import { createResolver, formatReport, fromEnv, fromSecretFiles, redactSecrets } from '@auth/core';
import { type ApiCheck, checkApi } from './check-api.ts';
import { createAuthFetch } from './index.ts';
import { readEnv } from './read-env.ts';
import { readTextFile } from './read-text-file.ts';

/** Where the CLI writes; the real streams in `cli.ts`, buffers in tests. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Exit codes of `openai-auth`: 0 usable credentials, 1 missing or invalid, 2 a usage error. */
export type CliExitCode = 0 | 1 | 2;

const usage = `Usage: openai-auth doctor [--check] [--json]

Shows where the OpenAI credentials of this environment come from, as @auth/node resolves them:
OPENAI_API_KEY, OPENAI_ORG_ID, OPENAI_PROJECT_ID, OPENAI_BASE_URL and the secret files named by
OPENAI_API_KEY_FILE, OPENAI_ORG_ID_FILE, OPENAI_PROJECT_ID_FILE. The key is only ever shown masked.

Options:
  --check     also call the API once (GET <base URL>/models) with these credentials and explain its
              answer: accepted, or which of the key, organization, project or scopes it refused
  --json      print the report as JSON (with --check: and the check, as "check")
  -h, --help  show this help

Exit codes: 0 credentials usable (and accepted, with --check), 1 missing, invalid or refused, 2 usage error.
`;

/**
 * `openai-auth` without the process around it: parses `argv` (the arguments after the program name), writes
 * to `output`, returns the exit code. Nothing it prints holds a key: the report masks it and errors are
 * redacted.
 */
export async function runCli(argv: readonly string[], output: CliOutput): Promise<CliExitCode> {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') {
    output.stdout(usage);
    return 0;
  }
  if (command !== 'doctor') {
    output.stderr(
      `${command === undefined ? 'Missing command.' : `Unknown command: ${shown(command)}.`}\n\n${usage}`,
    );
    return 2;
  }
  let json = false;
  let check = false;
  for (const argument of rest) {
    if (argument === '--json') json = true;
    else if (argument === '--check') check = true;
    else if (argument === '-h' || argument === '--help') {
      output.stdout(usage);
      return 0;
    } else {
      output.stderr(`Unknown option: ${shown(argument)}.\n\n${usage}`);
      return 2;
    }
  }
  try {
    // The environment part of the default chain: a command line has no explicit options or provider.
    const resolver = createResolver({ sources: [fromEnv(readEnv), fromSecretFiles(readEnv, readTextFile)] });
    const report = await resolver.report();
    // Only usable credentials are worth a call: otherwise the report already says what is missing.
    const api = check && report.ok ? await checkApi(resolver, createAuthFetch({ resolver })) : undefined;
    if (json)
      output.stdout(`${JSON.stringify(api === undefined ? report : { ...report, check: api }, null, 2)}\n`);
    else output.stdout(`${formatReport(report)}\n${api === undefined ? '' : formatCheck(api)}`);
    return report.ok && (api === undefined || api.ok) ? 0 : 1;
  } catch (error) {
    output.stderr(`openai-auth: ${redactSecrets(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}

function formatCheck(api: ApiCheck): string {
  const answer =
    api.status === undefined ? 'no answer' : `${api.status}${api.upstreamCode ? ` ${api.upstreamCode}` : ''}`;
  const id = api.requestId === undefined ? '' : `\n  x-request-id: ${api.requestId}`;
  return `\nAPI check: GET ${api.url} → ${answer}: ${api.ok ? 'OK' : 'FAILED'}\n  ${api.message}${id}\n`;
}

// Someone may paste a key where an option belongs: echo arguments redacted and short.
function shown(argument: string): string {
  const text = redactSecrets(argument);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
