#!/usr/bin/env node
// `pnpm test`: every check CI runs, in order, then one summary. Steps stream their output; test counts are
// read from each runner's closing lines (vitest, deno test, bun test) and added up.
import { spawn } from 'node:child_process';

const steps = [
  { name: 'lint (biome)', command: 'biome ci .' },
  { name: 'build', command: 'turbo run build' },
  { name: 'typecheck', command: 'turbo run typecheck' },
  { name: 'package checks (publint, attw)', command: 'turbo run check:package' },
  { name: 'bundle size', command: 'node scripts/size.mjs' },
  // The relay's route table is generated from OpenAI's spec in ../shared and committed; where the spec is at
  // hand (CI), the committed table must be what the script derives from it.
  {
    name: 'generated OpenAPI route table is current',
    command:
      'if [ -f ../shared/openai/openapi.yaml ]; then node packages/core/scripts/generate-openapi-routes.mjs --check; else echo "no ../shared/openai/openapi.yaml here: the committed table is used as is"; fi',
  },
  { name: 'tests', command: "turbo run test --concurrency=2 --force --filter='!load-tests'", counts: true },
  // Load and fault tests (F46–F49, soak) measure timeouts, p99 and memory: alone on the machine's cores.
  { name: 'load and fault tests', command: 'turbo run test --force --filter=load-tests', counts: true },
];

const strip = (text) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

function run(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(step.command, {
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let output = '';
    const take = (chunk, stream) => {
      stream.write(chunk);
      if (step.counts) output += chunk.toString();
    };
    child.stdout.on('data', (chunk) => take(chunk, process.stdout));
    child.stderr.on('data', (chunk) => take(chunk, process.stderr));
    child.on('close', (code) =>
      resolve({ code: code ?? 1, seconds: (Date.now() - started) / 1000, output: strip(output) }),
    );
  });
}

/** Sums the closing lines of every runner in the output: vitest, deno test and bun test. */
function countTests(output) {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const runners = [];
  for (const raw of output.split('\n')) {
    const line = raw.replace(/^\S+:test:\s?/, '').trim();
    const owner = raw.match(/^(\S+):test:/)?.[1] ?? '?';
    let match = line.match(/^Tests\s+(.*)\(\d+\)$/); // vitest: "Tests  3 failed | 58 passed | 1 skipped (62)"
    if (match) {
      const part = (word) => Number(match[1].match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
      runners.push({
        owner,
        runner: 'vitest',
        passed: part('passed'),
        failed: part('failed'),
        skipped: part('skipped') + part('todo'),
      });
      continue;
    }
    match = line.match(
      /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \| (\d+) ignored)?/,
    ); // deno test
    if (match) {
      runners.push({
        owner,
        runner: 'deno test',
        passed: Number(match[1]),
        failed: Number(match[2]),
        skipped: Number(match[3] ?? 0),
      });
      continue;
    }
    match = line.match(/^Ran (\d+) tests? across/); // bun test, after its "N pass" / "N fail" lines
    if (match) {
      const block = output.split('\n').map((l) => l.replace(/^\S+:test:\s?/, '').trim());
      const index = block.lastIndexOf(line);
      const near = block.slice(Math.max(0, index - 6), index);
      const pick = (word) =>
        Number(near.map((l) => l.match(new RegExp(`^(\\d+) ${word}$`))?.[1]).find(Boolean) ?? 0);
      runners.push({
        owner,
        runner: 'bun test',
        passed: pick('pass'),
        failed: pick('fail'),
        skipped: pick('skip'),
      });
    }
  }
  for (const runner of runners) {
    totals.passed += runner.passed;
    totals.failed += runner.failed;
    totals.skipped += runner.skipped;
  }
  return { totals, runners };
}

const results = [];
let counted = { totals: { passed: 0, failed: 0, skipped: 0 }, runners: [] };
for (const step of steps) {
  console.log(`\n▶ ${step.name}: ${step.command}`);
  const result = await run(step);
  results.push({ step, ...result });
  if (step.counts) {
    const { totals, runners } = countTests(result.output);
    counted = {
      totals: {
        passed: counted.totals.passed + totals.passed,
        failed: counted.totals.failed + totals.failed,
        skipped: counted.totals.skipped + totals.skipped,
      },
      runners: [...counted.runners, ...runners],
    };
  }
  if (result.code !== 0) console.error(`✖ ${step.name} failed (exit ${result.code})`);
}

console.log('\n## Summary\n');
for (const { step, code, seconds } of results)
  console.log(`${code === 0 ? 'ok  ' : 'FAIL'} ${step.name} (${seconds.toFixed(1)} s)`);
console.log('');
for (const r of counted.runners)
  console.log(`${r.owner} [${r.runner}]: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
const failedSteps = results.filter((result) => result.code !== 0).length;
const failedChecks = results.filter((result) => result.code !== 0 && !result.step.counts).length;
const { passed, failed, skipped } = counted.totals;
// A failed check (lint, build, size…) counts as a failure in the closing line too, so it can never read green.
console.log(`\n${passed} passed, ${failed + failedChecks} failed, ${skipped} skipped`);
process.exit(failedSteps > 0 || failed > 0 || skipped > 0 ? 1 : 0);
