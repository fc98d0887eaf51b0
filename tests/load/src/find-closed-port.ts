import { createServer } from 'node:net';

/**
 * A loopback port that nothing listens on (bound, then released): a connection to it is refused at once.
 * Another process could take it in between; on a test machine that does not happen in practice, and the
 * test would then fail loudly rather than pass.
 *
 * @example
 * const refused = `http://127.0.0.1:${await findClosedPort()}/v1`;
 */
export async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('findClosedPort: no TCP address');
  return address.port;
}
