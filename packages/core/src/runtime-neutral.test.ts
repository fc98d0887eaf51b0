import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/* The same rule as the lint override, checked a second way so that a lint config change cannot silently drop it. */
const forbidden = [
  /\bprocess\./,
  /\bDeno\./,
  /\bBun\./,
  /\bBuffer\b/,
  /\bwindow\./,
  /\bdocument\./,
  /from ['"]node:/,
  /require\(/,
];

describe('core source is runtime-neutral', () => {
  it('names no Node/Deno/Bun/browser global outside detect-runtime.ts and imports nothing from node:*', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    // Every folder below src too (`adapter/`…): a subpath entry is core as much as the main one.
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((name) => name.split('\\').join('/'))
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(10);
    expect(files).toContain('adapter/create-runtime-adapter.ts');
    expect(files).toContain('relay/create-relay.ts');
    const hits: string[] = [];
    for (const name of files) {
      if (name === 'detect-runtime.ts') continue;
      const code = readFileSync(`${dir}/${name}`, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const pattern of forbidden) if (pattern.test(code)) hits.push(`${name}: ${pattern}`);
    }
    expect(hits).toEqual([]);
  });

  it("core's tsconfig has types: [] so Node's typings cannot creep in", () => {
    const tsconfig = JSON.parse(
      readFileSync(fileURLToPath(new URL('../tsconfig.json', import.meta.url)), 'utf8'),
    );
    expect(tsconfig.compilerOptions.types).toEqual([]);
  });
});
