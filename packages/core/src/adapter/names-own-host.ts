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
