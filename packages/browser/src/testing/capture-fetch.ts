import type { RelayFetch } from '../create-relay-fetch.ts';

/** A `fetch` that records every request and answers from a script, for tests that need no server. */
export interface CapturedFetch {
  fetch: RelayFetch;
  requests: Request[];
}

/**
 * Records each request (with its body read as text) and answers `answer(request)`, default 200 `{}`.
 *
 * @example
 * const captured = captureFetch();
 * await createRelayFetch({ relayURL, fetch: captured.fetch })('models');
 */
export function captureFetch(
  answer: (request: Request) => Response = () => Response.json({}),
): CapturedFetch {
  const requests: Request[] = [];
  return {
    requests,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(request.clone());
      return answer(request);
    },
  };
}
