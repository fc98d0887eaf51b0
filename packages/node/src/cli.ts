#!/usr/bin/env node
/**
 * `openai-auth`: the command line of `@auth/node`. `openai-auth doctor [--check] [--json]` tells where the
 * OpenAI credentials come from, with the key masked, and with `--check` whether the API accepts them (one
 * `GET /models`, its refusal explained); exit code 0 when usable, 1 when missing, invalid or refused, 2 on a
 * usage error.
 *
 * @module
 */
import { runCli } from './run-cli.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
