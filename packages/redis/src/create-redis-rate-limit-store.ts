import { randomUUID } from 'node:crypto';
import type { RateLimitDecision, RateLimitStore } from '@auth/core/relay';
import { Redis, type RedisOptions } from 'ioredis';
import { rateLimitScripts } from './rate-limit-scripts.ts';

/** Options of {@link createRedisRateLimitStore}: give `client` or `url`, not both. */
export interface RedisRateLimitStoreOptions {
  /**
   * Your own ioredis client. It must be created with `enableOfflineQueue: false` (checked: a TypeError
   * otherwise), so that a command sent while Redis is away fails at once instead of waiting in a queue and
   * counting after the relay has already answered. Recommended as well: `maxRetriesPerRequest: 0`, a
   * `retryStrategy` that retries within a second, `connectTimeout` and `socketTimeout` of a second or two. The
   * store adds two Lua commands to it (`defineCommand`) and never closes it.
   */
  client?: Redis<'legacy'> | Redis<'resp3'> | undefined;
  /** A Redis URL (`redis://…`, `rediss://…` for TLS): the store creates and owns a client with safe options. */
  url?: string | undefined;
  /** More ioredis options for the client created from `url` (TLS, username, db…). */
  redisOptions?: RedisOptions | undefined;
  /** Prepended to every key, e.g. to share one Redis between apps. Default `'openai-relay:'`. */
  prefix?: string | undefined;
  /**
   * How long a concurrency slot is held at most, in ms. A relay instance that dies mid-stream never releases
   * its slots: they free themselves after this long. The trade-off: a stream that lasts longer than this
   * loses its slot early (the principal may then open one stream more than `maxConcurrentStreams`). Default
   * 600,000 (10 minutes, the relay's default upstream timeout).
   */
  leaseTtlMs?: number | undefined;
  /**
   * Longest wait for Redis per operation, in ms: past it the operation rejects, and the relay answers 503
   * `rate_limit_unavailable` (or serves, with `rateLimit.failOpen`). Default 500.
   */
  commandTimeoutMs?: number | undefined;
  /**
   * Connection errors of the client created from `url` (refused, reset, timed out). Default: ignored, since the
   * relay already reports each refused request through its `onEvent` hook.
   */
  onError?: ((error: Error) => void) | undefined;
}

/** A {@link RateLimitStore} in Redis, and a way to let go of it. */
export interface RedisRateLimitStore extends RateLimitStore {
  /** Quits the client the store created from `url`; a client you passed in stays open. Safe to call twice. */
  close(): Promise<void>;
}

type AnyRedis = Redis<'legacy'> | Redis<'resp3'>;
type ScriptCommand = (key: string, ...args: (string | number)[]) => Promise<unknown>;

// Unlikely to collide with a user's own defineCommand names on a shared client.
const hitCommand = 'openaiRelayRateLimitHit';
const acquireCommand = 'openaiRelayRateLimitAcquire';
const maxTimerMs = 2_147_483_647;
const noop = () => {};
const skipped: unique symbol = Symbol('skipped');

/**
 * Creates a rate-limit store in Redis, so that every relay instance enforces one limit per principal: requests
 * per window (GCRA: a burst of `limit`, then one per `window / limit`; refused requests are not counted) and
 * concurrent streams (leases in a sorted set, expiring after `leaseTtlMs` if never released). Each operation is
 * one atomic Lua script using Redis's clock. Operations reject within `commandTimeoutMs` when Redis is down or
 * stalls, and the client made from `url` reconnects within about 200 ms of Redis coming back.
 *
 * @example
 * import { createRedisRateLimitStore } from '@auth/redis';
 * import { createResolver, serveRelay } from '@auth/node';
 *
 * const store = createRedisRateLimitStore({ url: process.env.REDIS_URL });
 * const relay = await serveRelay({
 *   resolver: createResolver(),
 *   authorize: (request) => sessions.principalOf(request),
 *   rateLimit: { store, requestsPerMinute: 30, maxConcurrentStreams: 2 },
 * });
 * process.on('SIGTERM', () => relay.close().then(() => store.close()));
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RedisRateLimitStore {
  const prefix = options.prefix ?? 'openai-relay:';
  if (typeof prefix !== 'string') throw new TypeError('createRedisRateLimitStore: prefix must be a string.');
  const leaseTtlMs = readMilliseconds(options.leaseTtlMs, 600_000, 'leaseTtlMs');
  const timeoutMs = readMilliseconds(options.commandTimeoutMs, 500, 'commandTimeoutMs');
  const owned = options.client === undefined;
  const client: AnyRedis = owned ? createClient(options, timeoutMs) : checkClient(options);

  client.defineCommand(hitCommand, { numberOfKeys: 1, lua: rateLimitScripts.hit });
  client.defineCommand(acquireCommand, { numberOfKeys: 1, lua: rateLimitScripts.acquire });
  const commands = client as unknown as Record<string, ScriptCommand>;

  // With the offline queue off, a command sent before the first connection is up fails at once; right after
  // start-up that would turn the first requests away, so until then an operation waits (within its deadline).
  let firstReady: Promise<void> | undefined =
    client.status === 'ready'
      ? undefined
      : new Promise<void>((resolve) =>
          client.once('ready', () => {
            firstReady = undefined;
            resolve();
          }),
        );

  /**
   * Runs an operation within the deadline. `late` receives the result of one that Redis carried out after the
   * caller was told it failed, to undo it.
   */
  const withDeadline = <T>(
    name: string,
    operation: () => Promise<T>,
    late?: (value: T) => void,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new Error(`@auth/redis: Redis did not answer ${name} within ${timeoutMs} ms.`));
      }, timeoutMs);
      const send = async (): Promise<T | typeof skipped> => {
        if (firstReady !== undefined) {
          // A lazy client (`lazyConnect`) connects on its first command only, which the store must not spend.
          if (client.status === 'wait') client.connect().catch(noop);
          await firstReady;
          // Given up on meanwhile: sending it now would count a request that was already answered.
          if (settled) return skipped;
        }
        return operation();
      };
      send().then(
        (value) => {
          if (value === skipped) return;
          if (settled) {
            late?.(value);
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(new Error(`@auth/redis: ${name} failed: ${messageOf(error)}`, { cause: error }));
        },
      );
    });

  const removeLease = (key: string, lease: string) => client.zrem(prefix + key, lease).then(noop);

  let closing: Promise<void> | undefined;
  return {
    async hit(key: string, windowMs: number, limit: number): Promise<RateLimitDecision> {
      checkKey(key);
      if (!(Number.isFinite(windowMs) && windowMs > 0 && Number.isFinite(limit) && limit > 0)) {
        throw new TypeError('@auth/redis: hit() needs a positive windowMs and limit.');
      }
      const reply = await withDeadline('hit', () => commands[hitCommand]!(prefix + key, windowMs, limit));
      // Number(): a client made with `stringNumbers` answers integers as strings.
      const [allowed, retryAfterMs] = reply as [number | string, number | string];
      return { allowed: Number(allowed) === 1, retryAfterMs: Number(retryAfterMs) };
    },
    async acquire(key: string, max: number): Promise<string | undefined> {
      checkKey(key);
      if (!(Number.isFinite(max) && max >= 0))
        throw new TypeError('@auth/redis: acquire() needs a finite max ≥ 0.');
      // Random, not a counter: leases of every instance live in one set.
      const lease = randomUUID();
      const taken = await withDeadline(
        'acquire',
        () => commands[acquireCommand]!(prefix + key, max, lease, leaseTtlMs),
        // Taken after the caller gave up: nobody will release it, so give it back now rather than after the TTL.
        (late) => {
          if (Number(late) === 1) removeLease(key, lease).catch(noop);
        },
      );
      return Number(taken) === 1 ? lease : undefined;
    },
    async release(key: string, lease: string): Promise<void> {
      checkKey(key);
      if (typeof lease !== 'string') return;
      await withDeadline('release', () => removeLease(key, lease));
    },
    close(): Promise<void> {
      closing ??= owned ? quit(client, timeoutMs) : Promise.resolve();
      return closing;
    },
  };
}

function createClient(options: RedisRateLimitStoreOptions, timeoutMs: number): Redis {
  if (typeof options.url !== 'string' || options.url.length === 0) {
    throw new TypeError('createRedisRateLimitStore: give either `client` (an ioredis instance) or `url`.');
  }
  const client = new Redis(options.url, {
    // Reconnect fast and keep trying: recovery within a fraction of a second once Redis is back, at the cost
    // of a few refused TCP connects per second while it is down.
    retryStrategy: (attempt) => Math.min(50 * 2 ** (attempt - 1), 200),
    connectTimeout: Math.max(1_000, timeoutMs),
    // A stalled server (paused, network black hole) keeps the socket open: drop it and reconnect.
    socketTimeout: Math.max(1_000, 2 * timeoutMs),
    // Longer than the store's own deadline, so that a reply arriving after it is still seen (see `late`).
    commandTimeout: 2 * timeoutMs,
    ...options.redisOptions,
    // Not negotiable: queued commands would run after the relay answered, and in-flight ones be re-sent.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // The scripts reply with flat integer arrays, the same in every mapping; fixed for the client's type.
    replyMapping: 'legacy',
  });
  // Without a listener ioredis prints every connection error to stderr.
  client.on('error', (error: Error) => {
    try {
      options.onError?.(error);
    } catch {}
  });
  return client;
}

function checkClient(options: RedisRateLimitStoreOptions): AnyRedis {
  const { client } = options;
  if (options.url !== undefined) {
    throw new TypeError('createRedisRateLimitStore: give `client` or `url`, not both.');
  }
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.defineCommand !== 'function' ||
    typeof client.zrem !== 'function'
  ) {
    throw new TypeError('createRedisRateLimitStore: `client` must be an ioredis `Redis` instance.');
  }
  if (client.options?.enableOfflineQueue !== false) {
    throw new TypeError(
      'createRedisRateLimitStore: the client needs `enableOfflineQueue: false`, or requests would wait for a ' +
        'Redis that is down instead of failing fast. Use e.g. `client.duplicate({ enableOfflineQueue: false, ' +
        'maxRetriesPerRequest: 0 })`.',
    );
  }
  if (client.status === 'end') throw new TypeError('createRedisRateLimitStore: the client is closed.');
  return client;
}

async function quit(client: AnyRedis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      client.quit().catch(noop),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
  // Not connected (or QUIT unanswered): stop reconnecting and drop the socket.
  client.disconnect();
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new TypeError('@auth/redis: key must be a non-empty string.');
}

function readMilliseconds(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > maxTimerMs) {
    throw new TypeError(`createRedisRateLimitStore: ${name} must be a positive number of milliseconds.`);
  }
  return Math.ceil(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
