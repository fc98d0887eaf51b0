/**
 * Resolves once `condition` holds, polling every 10 ms; rejects after `timeoutMs`.
 *
 * @example
 * await until(() => relay.requests[0]?.aborted === true);
 */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`until: condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
