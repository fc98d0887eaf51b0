import type { ServerResponse } from 'node:http';

/**
 * Answers with an error in OpenAI's shape, as the real relay does.
 *
 * @example
 * writeRelayError(res, 429, 'Too many requests.', 'rate_limited');
 */
export function writeRelayError(res: ServerResponse, status: number, message: string, code: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: { message, type: 'invalid_request_error', code } }));
}
