#!/usr/bin/env node
/**
 * `openai-auth`: the command line of `@auth/node`. `openai-auth doctor [--json]` tells where the OpenAI
 * credentials come from, with the key masked; exit code 0 when usable, 1 when missing or invalid, 2 on a
 * usage error.
 *
 * @module
 */
import { runCli } from './run-cli.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
