import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { assertNoLeak, fakeKey, startUpstream, type Upstream } from '@auth/testkit';
import { afterEach, describe, expect, it } from 'vitest';

// The README's examples run as a user would paste them: `node` in this package's folder, importing the built
// package by its name (self-reference through `exports`) and the SDK, against a stub upstream.
const packageDirectory = fileURLToPath(new URL('..', import.meta.url));

async function readmeExamples(): Promise<string[]> {
  const text = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

function runModule(
  code: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: packageDirectory,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, output }));
  });
}

const servers: Upstream[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('README examples', () => {
  // Examples that need an outside tool (op, vault, aws) or service are shown, not run.
  const needsOutside = (code: string) => /op:\/\/|127\.0\.0\.1:8200/.test(code);

  it('every self-contained js example runs against the stub with OPENAI_API_KEY and OPENAI_BASE_URL', async () => {
    const examples = (await readmeExamples()).filter((code) => !needsOutside(code));
    expect(examples.length).toBeGreaterThan(3);
    const key = fakeKey('project');
    const api = await startUpstream({ expectedKey: key });
    servers.push(api);
    const outputs: string[] = [];
    for (const code of examples) {
      const result = await runModule(code, { OPENAI_API_KEY: key, OPENAI_BASE_URL: api.url });
      outputs.push(result.output);
      expect(result.code, result.output).toBe(0);
    }
    expect(outputs.join('\n')).toContain('Hello from');
    assertNoLeak({ logs: outputs, upstreamRequests: api.requests }, [key]);
  });
});
