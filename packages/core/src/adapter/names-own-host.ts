/**
 * Whether a request's URL names the host its `Host` header names, as a plain `host[:port]`. The relay treats
 * the URL's origin as its own when it checks `Origin`, and servers build that URL differently: Deno's `serve`
 * takes it from an absolute-form target (`GET http://evil.test/… HTTP/1.1`, RFC 9112 §3.2.2) whatever `Host`
 * says; Bun's `serve` builds it from `Host`, where userinfo (`a@b`) still moves the origin. So a target naming
 * another host, or a `Host` that is not a plain host[:port], is refused by every adapter's `serveRelay`
 * (`@auth/node` checks the raw request itself). Without `Host` (HTTP/2 carries `:authority`) the URL stands.
 *
 * @example
 * if (!namesOwnHost(request)) return new Response(null, { status: 403 });
 */
export function namesOwnHost(request: Request): boolean {
  const host = request.headers.get('host');
  if (host === null) return true;
  // The usual case, without parsing (two URL parses cost more than the rest of Bun's relay policy): `Host` is
  // the URL's whole authority. A `Request`'s URL is always serialized, so such a `Host` is already a host[:port]
  // as the parser writes it, unless it hides userinfo (`a@b`) or a path (`a/b`) in it.
  const url = request.url;
  if (
    url.startsWith('http://') &&
    url.startsWith(host, 7) &&
    url.charCodeAt(7 + host.length) === 47 &&
    !host.includes('@') &&
    !host.includes('/')
  ) {
    return true;
  }
  try {
    const base = new URL(`http://${host}`);
    return (
      base.host === host.toLowerCase() &&
      base.username === '' &&
      base.password === '' &&
      new URL(request.url).host === base.host
    );
  } catch {
    return false;
  }
}
