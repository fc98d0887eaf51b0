const verb = Symbol('method');
const href = Symbol('href');
const rawHeaders = Symbol('rawHeaders');
const headers = Symbol('headers');
const full = Symbol('request');

interface LazyRequest {
  [verb]: string;
  [href]: string;
  [rawHeaders]: readonly string[];
  [headers]?: Headers;
  [full]?: Request;
}

let prototype: object | undefined;

function headersOf(request: LazyRequest): Headers {
  let built = request[headers];
  if (built === undefined) {
    built = new Headers();
    const raw = request[rawHeaders];
    for (let i = 0; i + 1 < raw.length; i += 2) built.append(raw[i]!, raw[i + 1]!);
    request[headers] = built;
  }
  return built;
}

function fullOf(request: LazyRequest): Request {
  request[full] ??= new Request(request[href], { method: request[verb], headers: headersOf(request) });
  return request[full];
}

/**
 * The prototype of every lazy request: `Request.prototype` underneath (so `instanceof Request` holds), `method`,
 * `url` and `headers` of its own, and every other member of `Request` (signal, mode, clone(), text() …) served by
 * a real `Request` built on first use.
 */
function lazyPrototype(): object {
  if (prototype !== undefined) return prototype;
  const built = Object.create(Request.prototype) as object;
  for (const name of Reflect.ownKeys(Request.prototype)) {
    if (name === 'constructor' || name === Symbol.toStringTag) continue;
    const member = Object.getOwnPropertyDescriptor(Request.prototype, name)!;
    if (typeof member.value === 'function') {
      const method = member.value as (...args: unknown[]) => unknown;
      Object.defineProperty(built, name, {
        configurable: true,
        writable: true,
        value(this: LazyRequest, ...args: unknown[]) {
          return method.apply(fullOf(this), args);
        },
      });
    } else if (member.get !== undefined) {
      const getter = member.get;
      Object.defineProperty(built, name, {
        configurable: true,
        get(this: LazyRequest) {
          return getter.call(fullOf(this));
        },
      });
    }
  }
  Object.defineProperties(built, {
    method: {
      configurable: true,
      get(this: LazyRequest) {
        return this[verb];
      },
    },
    url: {
      configurable: true,
      get(this: LazyRequest) {
        return this[full]?.url ?? this[href];
      },
    },
    headers: {
      configurable: true,
      get(this: LazyRequest) {
        return headersOf(this);
      },
    },
  });
  prototype = built;
  return built;
}

/**
 * A bodyless `Request` (method, URL, headers) that builds as little as it is asked for. The relay hands one to
 * the app's `authorize`, which usually reads one header (a session cookie): a real `Request` costs a URL parse,
 * an `AbortSignal` and WebIDL conversions per call, about a tenth of the Node relay's CPU per request. Here the
 * headers are built on first read, and a real `Request` only when another member is used.
 *
 * `url` must be an absolute, already-parsed URL (`URL.href`); `raw` is node's `rawHeaders` (name, value, …).
 */
export function createLazyRequest(url: string, method: string, raw: readonly string[]): Request {
  const request: LazyRequest = Object.create(lazyPrototype());
  request[verb] = method;
  request[href] = url;
  request[rawHeaders] = raw;
  return request as unknown as Request;
}
