import { connect, type Socket } from 'node:net';

/** A TCP connection to a test server that records everything it receives. */
export interface RawSocket {
  socket: Socket;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /** True once the server has ended its side (FIN) or the connection is gone. */
  ended(): boolean;
  /** Resolves when the server ended its side or the connection closed, or after `ms` (then `false`). */
  waitForEnd(ms: number): Promise<boolean>;
  /** Resolves when `received()` contains `text`, or after `ms` (then `false`). */
  waitFor(text: string, ms: number): Promise<boolean>;
  /** Writes and waits until the bytes are handed to the OS; false if the connection is gone. */
  write(data: string | Uint8Array): Promise<boolean>;
}

/**
 * Opens a raw TCP connection to `url`'s host and port, for requests that `fetch` and `node:http` refuse to
 * send (ambiguous framing, obs-fold, byte-by-byte senders). Always `socket.destroy()` it in the test.
 */
export async function openRawSocket(
  url: string,
  options: { allowHalfOpen?: boolean } = {},
): Promise<RawSocket> {
  const { hostname, port } = new URL(url);
  // allowHalfOpen: keep writing after the server's FIN, as a hostile client would.
  const socket = connect({
    host: hostname,
    port: Number(port),
    allowHalfOpen: options.allowHalfOpen ?? false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    wake();
  });
  const end = () => {
    ended = true;
    wake();
  };
  socket.on('end', end);
  socket.on('close', end);
  // A reset after the server answered is what some of the cases expect: recorded as the end.
  socket.on('error', end);
  const wait = (done: () => boolean, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (done()) return resolve(true);
      const check = () => {
        if (!done()) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(done()), ms);
      const finish = (value: boolean) => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(value);
      };
      waiters.add(check);
    });
  return {
    socket,
    received: () => text,
    ended: () => ended,
    waitForEnd: (ms) => wait(() => ended, ms),
    waitFor: (part, ms) => wait(() => text.includes(part), ms),
    write: (data) =>
      new Promise<boolean>((resolve) => {
        if (socket.destroyed || !socket.writable) return resolve(false);
        socket.write(data, (error) => resolve(error == null));
      }),
  };
}
