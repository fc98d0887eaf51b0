import type { RelayHeaders } from './relay-transport.ts';

/** Bounds of the `Retry-After` the relay passes on, in seconds. */
export const retryAfterBounds: { readonly min: number; readonly max: number; readonly fallback: number } = {
  min: 1,
  max: 60,
  fallback: 2,
};

const imfFixdate = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * A sane `Retry-After` for the browser from an upstream answer: `retry-after-ms` first (OpenAI's precise
 * one), then `retry-after` as seconds or an HTTP-date. Whole seconds, clamped to 1…60; absent, negative or
 * garbage values give 2 s, so a browser never sees garbage and never waits hours because an upstream said so.
 *
 * @example
 * retryAfterSeconds(new Headers({ 'retry-after-ms': '1500' })); // 2
 * retryAfterSeconds(new Headers({ 'retry-after': '-5' })); // 2
 */
export function retryAfterSeconds(headers: RelayHeaders, now: number = Date.now()): number {
  const ms = headers.get('retry-after-ms')?.trim();
  const value = headers.get('retry-after')?.trim();
  let waitMs: number | undefined;
  if (ms !== undefined && /^\d{1,15}(?:\.\d+)?$/.test(ms)) waitMs = Number(ms);
  else if (value !== undefined && /^\d{1,15}$/.test(value)) waitMs = Number(value) * 1000;
  else if (value !== undefined && imfFixdate.test(value)) {
    const date = Date.parse(value);
    if (Number.isFinite(date)) waitMs = date - now;
  }
  if (waitMs === undefined) return retryAfterBounds.fallback;
  return Math.min(retryAfterBounds.max, Math.max(retryAfterBounds.min, Math.ceil(waitMs / 1000)));
}

/** True when the upstream said anything about retrying (then the relay passes a clamped value on). */
export function hasRetryAfter(headers: RelayHeaders): boolean {
  return headers.get('retry-after-ms') !== null || headers.get('retry-after') !== null;
}
