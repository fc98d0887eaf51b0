/** Every reason the relay answers with an error of its own: a closed union, stable across versions. */
export type RelayErrorCode =
  | 'unauthorized'
  | 'invalid_path'
  | 'route_not_allowed'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'origin_not_allowed'
  | 'cross_site_request'
  | 'unsupported_media_type'
  | 'invalid_content_length'
  | 'invalid_body'
  | 'body_timeout'
  | 'invalid_json'
  | 'body_too_large'
  | 'model_not_allowed'
  | 'rate_limited'
  | 'too_many_streams'
  | 'rate_limit_unavailable'
  | 'credentials_unavailable'
  | 'relay_misconfigured'
  | 'internal_error'
  | 'upstream_rate_limited'
  | 'upstream_auth_failed'
  | 'upstream_error'
  | 'upstream_redirect'
  | 'upstream_invalid_response'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'event_too_large'
  | 'client_closed_request';

/** OpenAI's error shape, which the official SDKs already know how to read. */
export interface RelayErrorBody {
  error: { message: string; type: string; code: string | null };
}

// Messages are written for the browser's developer: they say what to change and never echo upstream text.
const errors: Readonly<Record<RelayErrorCode, readonly [status: number, type: string, message: string]>> = {
  unauthorized: [401, 'authentication_error', 'Sign in to the app first: no valid session.'],
  invalid_path: [
    403,
    'permission_error',
    'The path is malformed (dot segments, encoded characters or empty segments).',
  ],
  route_not_allowed: [403, 'permission_error', 'This endpoint is never available through the relay.'],
  route_not_found: [404, 'invalid_request_error', 'This endpoint is not on the relay allowlist.'],
  method_not_allowed: [
    405,
    'invalid_request_error',
    'This method is not allowed here: see the Allow header.',
  ],
  origin_not_allowed: [403, 'permission_error', 'Requests from this origin are not allowed.'],
  cross_site_request: [403, 'permission_error', 'Cross-site requests are not allowed.'],
  unsupported_media_type: [415, 'invalid_request_error', 'Send the body as application/json.'],
  invalid_content_length: [400, 'invalid_request_error', 'The Content-Length header is malformed.'],
  invalid_body: [400, 'invalid_request_error', 'The request body could not be read.'],
  body_timeout: [408, 'invalid_request_error', 'The request body stopped arriving.'],
  invalid_json: [400, 'invalid_request_error', 'The request body is not a JSON object.'],
  body_too_large: [413, 'invalid_request_error', 'The request body is larger than the relay allows.'],
  model_not_allowed: [403, 'permission_error', 'This model is not on the relay allowlist.'],
  rate_limited: [429, 'rate_limit_error', 'Too many requests: wait for Retry-After seconds.'],
  too_many_streams: [429, 'rate_limit_error', 'Too many requests in flight: wait for one to finish.'],
  rate_limit_unavailable: [503, 'server_error', 'The rate limiter is unavailable; try again shortly.'],
  credentials_unavailable: [503, 'server_error', 'The relay has no usable API credentials right now.'],
  relay_misconfigured: [500, 'server_error', 'The relay is misconfigured; the server log says why.'],
  internal_error: [500, 'server_error', 'The relay failed; the server log says why.'],
  upstream_rate_limited: [
    429,
    'rate_limit_error',
    'The API is rate limiting this app: wait for Retry-After seconds.',
  ],
  upstream_auth_failed: [
    502,
    'server_error',
    'The relay could not authenticate to the API; the server log says why.',
  ],
  upstream_error: [502, 'server_error', 'The API failed to answer; try again.'],
  upstream_redirect: [
    502,
    'server_error',
    'The API answered with a redirect, which the relay never follows.',
  ],
  upstream_invalid_response: [502, 'server_error', 'The API answered with an unexpected response.'],
  upstream_unreachable: [502, 'server_error', 'The API could not be reached.'],
  upstream_timeout: [504, 'server_error', 'The API took too long to answer.'],
  event_too_large: [502, 'server_error', 'The API sent a stream event larger than the relay allows.'],
  client_closed_request: [499, 'invalid_request_error', 'The client went away.'],
};

/** The HTTP status the relay answers `code` with. */
export function relayErrorStatus(code: RelayErrorCode): number {
  return errors[code][0];
}

/**
 * The JSON body of a relay error, in OpenAI's shape.
 *
 * @example
 * relayErrorBody('model_not_allowed'); // { error: { message: '…', type: 'permission_error', code: 'model_not_allowed' } }
 */
export function relayErrorBody(code: RelayErrorCode): RelayErrorBody {
  const [, type, message] = errors[code];
  return { error: { message, type, code } };
}

/** A JSON response that no cache keeps and no browser sniffs. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...headers,
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

/** The relay's error `code` as a response; `headers` carries CORS, `Vary`, `Allow` or `Retry-After`. */
export function relayErrorResponse(code: RelayErrorCode, headers: Record<string, string>): Response {
  return jsonResponse(relayErrorStatus(code), relayErrorBody(code), headers);
}
