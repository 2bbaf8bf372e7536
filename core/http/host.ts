/**
 * DNS-rebinding protection. A web page can point a name it owns at 127.0.0.1 and then call a
 * local server as its own origin, so the Origin check alone proves nothing: the Host the
 * browser sends still names the page's domain. Only Host values that no other site can make a
 * browser send are accepted: the loopback names, the names the deployment lists, and (where
 * the server is bound beyond loopback) IP literals, which a browser sends only to the address
 * itself.
 */

/** Which `Host` values a server accepts, as {@link loadConfig} derives it from the environment. */
export type HostPolicy =
  | { readonly any: true }
  | {
      readonly any: false;
      /** Lower-case host names, IPv6 in brackets, without ports. */
      readonly names: ReadonlySet<string>;
      /** `.example.com` entries: any name below them. */
      readonly suffixes: readonly string[];
      readonly ipLiterals: boolean;
    };

/** Always accepted: a browser sends these only to a page it loaded from this machine. */
export const LOOPBACK_HOST_NAMES: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_BRACKETED = /^\[[0-9a-f:.]+\]$/;
const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** The host part of a `Host` header (`name`, `name:port`, `[v6]:port`), lower-case, without a trailing dot; undefined when malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim().toLowerCase();
  let name: string;
  let port: string | undefined;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) return undefined;
    name = value.slice(0, close + 1);
    const rest = value.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    port = rest === '' ? undefined : rest.slice(1);
    if (!IPV6_BRACKETED.test(name)) return undefined;
  } else {
    const colon = value.indexOf(':');
    name = colon === -1 ? value : value.slice(0, colon);
    port = colon === -1 ? undefined : value.slice(colon + 1);
    if (name.endsWith('.')) name = name.slice(0, -1);
    if (!NAME.test(name)) return undefined;
  }
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return undefined;
  return name;
}

export function isIpLiteral(name: string): boolean {
  return IPV4.test(name) || IPV6_BRACKETED.test(name);
}

/**
 * Whether a request's `Host` header may be served. `servedHost` is a name the platform in
 * front has already matched the request to (API Gateway's domain name), accepted as well.
 */
export function isHostAllowed(header: string | undefined, policy: HostPolicy, servedHost?: string): boolean {
  if (policy.any) return true;
  const name = hostName(header);
  if (name === undefined) return false;
  if (policy.names.has(name)) return true;
  if (servedHost !== undefined && name === hostName(servedHost)) return true;
  if (policy.ipLiterals && isIpLiteral(name)) return true;
  return policy.suffixes.some((suffix) => name.endsWith(suffix));
}
