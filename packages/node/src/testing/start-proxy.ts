import { createServer, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';

/** What went through the proxy: CONNECT tunnels and absolute-form forwarded requests. */
export interface ProxyRecord {
  method: string;
  /** `host:port` for CONNECT, the absolute URL for a forwarded request. */
  target: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A running forward proxy on 127.0.0.1. */
export interface TestProxy {
  url: string;
  records: ProxyRecord[];
  close(): Promise<void>;
}

const isLoopbackTarget = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '[::1]';

/**
 * A minimal HTTP proxy, as corporate networks run: CONNECT tunnels (what undici uses by default, even for
 * http targets) and absolute-form forwarding. It only ever connects to loopback: anything else gets a 403.
 */
export async function startProxy(): Promise<TestProxy> {
  const records: ProxyRecord[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    records.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (!isLoopbackTarget(target.hostname)) {
      res.writeHead(403).end();
      return;
    }
    const upstream = httpRequest(target, { method: req.method ?? 'GET', headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head: Uint8Array) => {
    records.push({ method: 'CONNECT', target: req.url ?? '', headers: req.headers });
    const [host = '', port = ''] = (req.url ?? '').split(/:(?=\d+$)/);
    if (!isLoopbackTarget(host)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const remote = connect(Number(port), host === '[::1]' ? '::1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.byteLength > 0) remote.write(head);
      remote.pipe(client);
      client.pipe(remote);
    });
    sockets.add(remote);
    remote.on('close', () => sockets.delete(remote));
    remote.on('error', () => client.destroy());
    client.on('error', () => remote.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
