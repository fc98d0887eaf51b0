// Cold start: a fresh Node process imports the library and resolves once from env, against the official
// `openai` package's import alone. Measured inside each process (import → ready) and as whole-process wall
// time; medians of N fresh processes, alternating the candidates so machine noise hits both alike.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const marker = btoa('OpenAI');
const key = `sk-proj-${'a'.repeat(74)}${marker}${'b'.repeat(74)}`;

const candidates = [
  {
    name: 'import("@auth/node") + first resolve() from env',
    entry: import.meta.resolve('@auth/node'),
    code: (entry) =>
      `const t=performance.now();const m=await import(${JSON.stringify(entry)});await m.resolveCredentials();console.log(performance.now()-t)`,
  },
  {
    name: 'import("openai") (official SDK, import only)',
    entry: import.meta.resolve('openai'),
    code: (entry) =>
      `const t=performance.now();await import(${JSON.stringify(entry)});console.log(performance.now()-t)`,
  },
  {
    name: 'baseline: empty ESM script',
    entry: '',
    code: () => `const t=performance.now();console.log(performance.now()-t)`,
  },
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

export function benchColdStart({ runs = 21 } = {}) {
  const samples = candidates.map(() => ({ inside: [], wall: [] }));
  const env = { ...process.env, OPENAI_API_KEY: key };
  for (let run = 0; run < runs; run++) {
    candidates.forEach((candidate, index) => {
      const started = performance.now();
      const result = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', candidate.code(candidate.entry)],
        { env, encoding: 'utf8', timeout: 30_000 },
      );
      const wall = performance.now() - started;
      if (result.status !== 0) throw new Error(`${candidate.name} failed: ${result.stderr.slice(0, 500)}`);
      samples[index].inside.push(Number(result.stdout.trim()));
      samples[index].wall.push(wall);
    });
  }
  // openai's `exports` hide package.json: read it next to the resolved entry's package root.
  const version = JSON.parse(
    readFileSync(new URL('package.json', import.meta.resolve('openai')), 'utf8'),
  ).version;
  return candidates.map((candidate, index) => ({
    name: candidate.name.replace('official SDK', `official SDK ${version}`),
    insideMs: median(samples[index].inside),
    wallMs: median(samples[index].wall),
    runs,
  }));
}
