import { Pool } from 'undici';

/** One request of the traffic, and what makes its answer right. */
export interface TrafficRequest {
  method: 'GET' | 'POST';
  /** Path on the origin, e.g. `/api/openai/models`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Undefined when the answer is right, else why not (counted as a failure, the first few kept). */
  check(status: number, text: string): string | undefined;
}

/** Options of {@link generateTraffic}. Every run is bounded in count and in time. */
export interface TrafficOptions {
  origin: string;
  /** Concurrent requests, each on its own keep-alive connection. */
  connections: number;
  /** The n-th request (from 0). */
  next(n: number): TrafficRequest;
  /** Stop after this many requests. */
  maxRequests: number;
  /** Stop starting requests after this long. */
  maxMs: number;
  /** Stop starting requests once this is true (checked before each one). */
  until?: () => boolean;
  /** Pause of each connection between two requests: paced traffic, not a flood. Default 0. */
  pauseMs?: number;
  /** Keep the answer text of every `sampleEvery`-th request for leak scans. Default 1 (all). */
  sampleEvery?: number;
  /** Called after each finished request, e.g. to sample memory on the way. */
  onProgress?(done: number): void | Promise<void>;
}

/** What a run of {@link generateTraffic} did. */
export interface TrafficResult {
  /** Requests sent (finished, right or not). */
  sent: number;
  failed: number;
  /** The first 10 failures, described. */
  failures: string[];
  /** Milliseconds from sending to the last byte of the answer, one per request. */
  latencies: number[];
  /** Sampled answer texts. */
  samples: string[];
  /** Wall time of the run. */
  ms: number;
}

/**
 * Sends requests over `connections` keep-alive connections (an undici `Pool`) until `maxRequests`, `maxMs`
 * or `until()`, reading every answer in full and checking it.
 *
 * @example
 * const result = await generateTraffic({ origin, connections: 8, maxRequests: 1_000, maxMs: 10_000, next: () => models });
 */
export async function generateTraffic(options: TrafficOptions): Promise<TrafficResult> {
  const { origin, connections, next, maxRequests, maxMs, until, pauseMs = 0, sampleEvery = 1 } = options;
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const result: TrafficResult = { sent: 0, failed: 0, failures: [], latencies: [], samples: [], ms: 0 };
  const started = performance.now();
  let issued = 0;
  const fail = (why: string) => {
    result.failed++;
    if (result.failures.length < 10) result.failures.push(why);
  };
  const worker = async () => {
    while (issued < maxRequests && performance.now() - started < maxMs && !until?.()) {
      const n = issued++;
      const request = next(n);
      const sent = performance.now();
      try {
        const response = await pool.request({
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body ?? null,
          // A request that hangs is a failure of the relay, not a reason for the test to hang.
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        const text = await response.body.text();
        result.latencies.push(performance.now() - sent);
        const wrong = request.check(response.statusCode, text);
        if (wrong !== undefined) fail(`#${n} ${request.method} ${request.path}: ${wrong}`);
        if (n % sampleEvery === 0 || wrong !== undefined) result.samples.push(text);
      } catch (error) {
        fail(
          `#${n} ${request.method} ${request.path}: ${(error as Error).name}: ${(error as Error).message}`,
        );
      }
      result.sent++;
      await options.onProgress?.(result.sent);
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    result.ms = performance.now() - started;
    await pool.destroy();
  }
  return result;
}
