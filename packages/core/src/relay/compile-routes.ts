import { adminKeyOperations, apiKeyOperations } from './openapi-routes.generated.ts';
import type { RelayRoute } from './relay-options.ts';

/** One allowlist entry, ready to match. */
export interface CompiledRoute {
  readonly method: string;
  /** As the user wrote it, e.g. `GET /models/{model}`. */
  readonly route: RelayRoute;
  /** Literal segments, or `null` for a `{parameter}`. */
  readonly segments: readonly (string | null)[];
  /** The Realtime secret mint, which the relay handles itself. */
  readonly realtime: boolean;
}

/** What the allowlist says about a request. */
export type RouteMatch =
  | { kind: 'route'; route: CompiledRoute }
  /** The path is allowed with other methods. */
  | { kind: 'method'; allow: string[] }
  /** An admin-key endpoint: never relayed. */
  | { kind: 'forbidden' }
  | { kind: 'none' };

/** The compiled allowlist. */
export interface RouteTable {
  readonly routes: readonly CompiledRoute[];
  match(method: string, segments: readonly string[]): RouteMatch;
}

const routePattern = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)$/;
const templateSegment = /^(?:[A-Za-z0-9._~:-]+|\{[A-Za-z0-9_]+\})$/;
const realtimeSecretRoute = 'POST /realtime/client_secrets';

/** Path templates compare equal whatever their parameters are called: `/models/{id}` is `/models/{model}`. */
const shapeOf = (path: string): string => path.replace(/\{[^}]*\}/g, '{}');

let spec: { api: Map<string, string[]>; admin: Map<string, string[]> } | undefined;
function loadSpec(): NonNullable<typeof spec> {
  const index = (table: Readonly<Record<string, string>>) => {
    const map = new Map<string, string[]>();
    for (const [path, methods] of Object.entries(table)) {
      map.set(shapeOf(path), [...(map.get(shapeOf(path)) ?? []), ...methods.split(' ')]);
    }
    return map;
  };
  spec ??= { api: index(apiKeyOperations), admin: index(adminKeyOperations) };
  return spec;
}

const toSegments = (path: string): (string | null)[] =>
  path
    .slice(1)
    .split('/')
    .map((segment) => (segment.startsWith('{') ? null : segment));

const matches = (template: readonly (string | null)[], segments: readonly string[]): boolean =>
  template.length === segments.length && template.every((part, i) => part === null || part === segments[i]);

/**
 * Checks an allowlist against OpenAI's OpenAPI spec (the generated table) and compiles it. Throws a
 * `TypeError` naming the entry for: a malformed entry, anything under `/organization`, an operation that needs
 * an admin key, and an operation the spec does not have (a typo would otherwise fail silently as 404s).
 *
 * @example
 * compileRoutes(['GET /models']).match('GET', ['models']); // { kind: 'route', route: … }
 */
export function compileRoutes(routes: readonly string[]): RouteTable {
  const { api, admin } = loadSpec();
  const compiled = new Map<string, CompiledRoute>();
  for (const entry of routes) {
    const parsed = routePattern.exec(String(entry));
    const path = parsed?.[2] ?? '';
    const segments = path.slice(1).split('/');
    if (!parsed || !segments.every((segment) => templateSegment.test(segment))) {
      throw new TypeError(
        `createRelay: route "${String(entry)}" is not "<GET|POST|PUT|PATCH|DELETE> /path/{param}".`,
      );
    }
    const method = parsed[1]!;
    const shape = shapeOf(path);
    if (segments[0] === 'organization' || admin.get(shape)?.includes(method)) {
      throw new TypeError(
        `createRelay: route "${entry}" needs an admin key; admin endpoints are never relayed to browsers.`,
      );
    }
    const known = api.get(shape);
    if (!known?.includes(method)) {
      const hint = known ? `; the spec has ${known.join(', ')} ${path}` : '';
      throw new TypeError(`createRelay: route "${entry}" is not an operation of the OpenAI API${hint}.`);
    }
    const route = `${method} ${path}` as RelayRoute;
    const key = `${method} ${shape}`;
    if (!compiled.has(key)) {
      compiled.set(key, {
        method,
        route,
        segments: toSegments(path),
        realtime: key === realtimeSecretRoute,
      });
    }
  }
  const table = [...compiled.values()];
  const adminTemplates = [...admin.keys()].map(toSegments);

  return {
    routes: table,
    match(method, segments) {
      const allow: string[] = [];
      for (const route of table) {
        if (!matches(route.segments, segments)) continue;
        if (route.method === method) return { kind: 'route', route };
        allow.push(route.method);
      }
      if (allow.length > 0) return { kind: 'method', allow };
      if (segments[0] === 'organization' || adminTemplates.some((template) => matches(template, segments))) {
        return { kind: 'forbidden' };
      }
      return { kind: 'none' };
    },
  };
}
