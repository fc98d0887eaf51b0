/**
 * Polls `condition` every 20 ms; rejects naming `what` if it is still false after `ms`.
 *
 * @example
 * await waitFor(() => upstream.stats().responsesOpen === 0, 'every upstream response closed', 5_000);
 */
export async function waitFor(condition: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
