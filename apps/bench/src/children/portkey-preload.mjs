// Preloaded into the Portkey gateway (`node --import`), two shims, neither on its hot path's own code:
//
// 1. Loopback. Its start-server.js calls `serve({ fetch, port })` with no hostname and has no flag for one, so it
//    would listen on every interface. A server given a port but no host is bound to 127.0.0.1 instead.
// 2. Streaming on Node. Portkey 1.15.2 runs with @hono/node-server 1.19, whose global `Response` keeps the
//    upstream fetch response's immutable `Headers`; Portkey then appends its x-portkey-* headers to them and every
//    stream fails with 500 "Something went wrong" (Portkey-AI/gateway issues 1389, 1550). Each upstream response
//    is re-wrapped in a native `Response` with mutable headers (one object per request, microseconds against
//    Portkey's milliseconds), which is what pinning @hono/node-server 1.14.2, the workaround in 1389, amounts to.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
    if (args[1] === undefined) args.splice(1, 1, '127.0.0.1');
    else args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};

const nativeFetch = globalThis.fetch;
const NativeResponse = globalThis.Response;
globalThis.fetch = async (input, init) => {
  const response = await nativeFetch(input, init);
  return new NativeResponse(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
};
