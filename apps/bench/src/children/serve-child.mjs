// Shared by the Node child servers: listen on loopback, print `READY <url>`, close when stdin ends or on SIGTERM.

export const hopByHop = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
]);

/** Listens on 127.0.0.1 (a free port), prints `READY <url>`, closes (connections too) when stdin ends. */
export function serveUntilStdinEnds(server) {
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(`READY http://127.0.0.1:${server.address().port}\n`),
  );
  const stop = () => {
    server.close(() => process.exit(0));
    for (const socket of sockets) socket.destroy();
  };
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}
