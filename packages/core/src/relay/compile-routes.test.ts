import { describe, expect, it } from 'vitest';
import { compileRoutes } from './compile-routes.ts';
import { defaultRoutes } from './default-routes.ts';
import { adminKeyOperations, apiKeyOperations } from './openapi-routes.generated.ts';

describe('compileRoutes and the generated OpenAPI table', () => {
  it('the default allowlist is DESIGN’s and compiles', () => {
    expect(defaultRoutes).toEqual([
      'POST /responses',
      'POST /chat/completions',
      'POST /embeddings',
      'POST /moderations',
      'GET /models',
      'GET /models/{model}',
      'POST /realtime/client_secrets',
    ]);
    const table = compileRoutes(defaultRoutes);
    expect(table.routes.filter((route) => route.realtime).map((route) => route.route)).toEqual([
      'POST /realtime/client_secrets',
    ]);
    expect(table.match('GET', ['models', 'gpt-4o'])).toMatchObject({
      kind: 'route',
      route: { route: 'GET /models/{model}' },
    });
    expect(table.match('DELETE', ['models', 'gpt-4o'])).toEqual({ kind: 'method', allow: ['GET'] });
    expect(table.match('GET', ['models', 'gpt-4o', 'x'])).toEqual({ kind: 'none' });
  });

  it('D30: every admin-key operation of the spec is refused at creation and matched as forbidden at request time', () => {
    const table = compileRoutes(defaultRoutes);
    let operations = 0;
    for (const [path, methods] of Object.entries(adminKeyOperations)) {
      const segments = path
        .slice(1)
        .split('/')
        .map((segment) => (segment.startsWith('{') ? 'id_1' : segment));
      for (const method of methods.split(' ')) {
        operations++;
        expect(() => compileRoutes([`${method} ${path}` as never]), path).toThrow(/admin key/);
        expect(table.match(method, segments), path).toEqual({ kind: 'forbidden' });
      }
    }
    expect(operations).toBe(119);
    expect(Object.keys(adminKeyOperations)).toHaveLength(65);
  });

  it('every normal operation of the spec can be allowlisted', () => {
    const all = Object.entries(apiKeyOperations).flatMap(([path, methods]) =>
      methods.split(' ').map((method) => `${method} ${path}`),
    );
    expect(all.length).toBe(281 - 119);
    expect(() => compileRoutes(all)).not.toThrow();
  });
});
