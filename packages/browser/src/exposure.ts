import { RelayError } from './relay-error.ts';

/**
 * The error for a key where the browser would hold it; `where` names the place, never the value.
 *
 * @example
 * throw exposure('a request header');
 */
export function exposure(where: string): RelayError {
  return new RelayError('browser_exposure', `${where}: refused, OpenAI keys stay on the server`);
}
