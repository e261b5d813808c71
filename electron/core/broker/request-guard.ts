/**
 * What a skill may and may not put in a request to the proxy. The broker builds the real request
 * itself; the skill only contributes a path under the service's base URL, a method, end-to-end headers
 * and a body.
 */

export class BrokerRefusal extends Error {
  /** Set once the refusal is in the audit trail, so a door does not record it twice. */
  audited = false;

  constructor(
    /** HTTP status the proxy answers. */
    readonly status: number,
    /** Stable code, documented in docs/broker-and-skills.md. */
    readonly code: string,
    /** For a person; never a secret. */
    message: string,
    /** `denied` for a refused request, `failed` when the service could not be used, `aborted` when the client hung up. */
    readonly outcome: 'denied' | 'failed' | 'aborted' = 'denied',
  ) {
    super(message);
    this.name = 'BrokerRefusal';
  }
}

export const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Headers that rewrite a request's path, host or method behind a proxy; never forwarded (listed in docs/broker-and-skills.md). */
export const REQUEST_TARGET_OVERRIDES = [
  'x-original-url',
  'x-rewrite-url',
  'x-original-uri',
  'x-override-url',
  'x-envoy-original-path',
  'x-original-host',
  'x-host',
  'x-http-host-override',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
] as const;

/** Headers a skill never sets on the real request: hop-by-hop, credentials, routing and Sophon's own. */
const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
  'accept-encoding',
  'authorization',
  'cookie',
  'cookie2',
  'forwarded',
  'via',
  'x-real-ip',
  // Request-target and method overrides: some frameworks and gateways take the path, host or method from
  // these instead of the request line, which would let a skill reach what the checked path does not name.
  ...REQUEST_TARGET_OVERRIDES,
  'origin',
  'referer',
]);
const DROPPED_PREFIXES = ['proxy-', 'x-forwarded-', 'x-sophon-', 'x-amz-security-token', 'x-api-key'];

/** Response headers that never go back to the skill: hop-by-hop and anything that carries a credential. */
export const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'te',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'authorization',
  'www-authenticate',
  'authentication-info',
  'proxy-authentication-info',
  'set-cookie',
  'set-cookie2',
  'cookie',
  'content-length',
  'content-encoding',
  'alt-svc',
]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

export function assertHeaderValue(name: string, value: string): void {
  const label = HEADER_NAME.test(name) ? name : '(unnamed)';
  if (/[\r\n\0]/.test(value)) throw new BrokerRefusal(400, 'bad_header', `The header ${label} contains a line break or NUL.`);
  // HTTP/1.1 carries header values as bytes: a character above U+00FF has no byte form (encode it, e.g. RFC 8187).
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw new BrokerRefusal(400, 'bad_header', `The header ${label} contains a control character or a character outside Latin-1.`);
}

/**
 * The skill's headers that may be forwarded: names validated, CR/LF/NUL refused, hop-by-hop and
 * credential headers (and any the `Connection` header names) stripped.
 */
export function forwardableHeaders(raw: Record<string, string | string[] | undefined>, alsoDrop: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const listed = new Set<string>(alsoDrop.map((n) => n.toLowerCase()));
  const connection = raw.connection ?? raw.Connection;
  for (const v of [connection].flat()) if (v) for (const n of v.split(',')) listed.add(n.trim().toLowerCase());
  for (const [rawName, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (!HEADER_NAME.test(name)) throw new BrokerRefusal(400, 'bad_header', 'A header name is not a valid HTTP token.');
    const joined = Array.isArray(value) ? value.join(', ') : value;
    assertHeaderValue(name, joined);
    if (DROPPED_REQUEST_HEADERS.has(name) || listed.has(name) || DROPPED_PREFIXES.some((p) => name.startsWith(p))) continue;
    out[name] = joined;
  }
  return out;
}

/**
 * Checks the path (and query) a skill asks for under the service's base URL: a path, never a URL
 * (absolute or scheme-relative), no `.`/`..` segments in any encoding, no encoded `/` or `\`, no
 * control characters, spaces or non-ASCII bytes, no fragment.
 */
export function checkTarget(target: string): string {
  if (target.length === 0) return '/';
  if (target.length > 8192) throw new BrokerRefusal(414, 'path_too_long', 'The path is longer than 8192 characters.');
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) {
    throw new BrokerRefusal(400, 'absolute_url', 'Send a path under the service\'s base URL, not a URL: the broker decides the host.');
  }
  if (!target.startsWith('/')) throw new BrokerRefusal(400, 'bad_path', 'The path must start with "/".');
  if (/[^\x21-\x7e]/.test(target)) throw new BrokerRefusal(400, 'bad_path', 'The path contains a space, a control character or a non-ASCII byte (percent-encode it).');
  if (target.includes('\\')) throw new BrokerRefusal(400, 'path_traversal', 'The path contains a backslash.');
  if (target.includes('#')) throw new BrokerRefusal(400, 'bad_path', 'The path contains a fragment ("#").');
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new BrokerRefusal(400, 'bad_path', 'The path has a malformed percent-encoding.');
    }
    // Decoding twice catches %252e%252e, which a server that decodes again would see as "..".
    let twice = decoded;
    try {
      twice = decodeURIComponent(decoded);
    } catch {
      /* not double-encoded */
    }
    for (const d of [decoded, twice]) {
      if (d === '.' || d === '..') throw new BrokerRefusal(400, 'path_traversal', 'The path contains a "." or ".." segment (plain or percent-encoded).');
      if (/[/\\\0]/.test(d) && d !== segment) throw new BrokerRefusal(400, 'path_traversal', 'The path contains an encoded "/", "\\" or NUL.');
    }
  }
  return target;
}
