import { request } from 'node:http';

/** What `sendRawRequest` got back. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What `sendRawRequest` sends; `target` goes on the request line exactly as given. */
export interface RawRequestOptions {
  method?: string;
  target?: string;
  headers?: Record<string, string | string[]>;
  body?: string;
}

/**
 * Sends one request with `node:http`, which, unlike `fetch`, can repeat a header and keeps the target as
 * written. Test helper; not part of the public API.
 */
export function sendRawRequest(origin: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        hostname: hostname.replace(/^\[|\]$/g, ''),
        port,
        method: options.method ?? 'GET',
        path: options.target ?? '/',
        headers: options.headers ?? {},
        // A pooled keep-alive socket would outlive the test.
        agent: false,
      },
      (incoming) => {
        const decoder = new TextDecoder();
        let body = '';
        incoming.on('data', (chunk: Uint8Array) => {
          body += decoder.decode(chunk, { stream: true });
        });
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
