/**
 * The calls a skill's manifest lets one of its credentials make through the broker: HTTP methods and
 * path patterns. Kept free of other imports so the manifest schema and the broker share one matcher.
 *
 * A path pattern is matched segment by segment against the path the skill sent (before the query
 * string), after the broker's own checks (no `.`/`..`, no encoded `/` or `\`) and with each segment
 * percent-decoded, so `/rep%6Fs/x` is `/repos/x` here as it is at the service:
 *   literal  matches exactly that segment (case-sensitive): `repos` never matches `repos-evil`
 *   `*`      matches exactly one non-empty segment
 *   `**`     matches any number of segments, none included: `/repos/**` is `/repos` and all below it
 * A `*` inside a segment (`repo*`) is refused when the manifest is read, not guessed at.
 */

/** Methods the broker forwards at all (request-guard's METHODS), the only ones a manifest may name. */
export const MANIFEST_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** What a token minted for a skill's tool may do with one connection. */
export interface CallLimits {
  /** The service id the manifest named (a connection of its family may answer to it). */
  service: string;
  /** Uppercase methods allowed; null when the manifest does not restrict them. */
  methods: string[] | null;
  /** Path patterns allowed; null when the manifest does not restrict them. */
  paths: string[] | null;
}

const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=:@-]+$/;

/** Why a path pattern is not valid, or null. Messages name the problem for the manifest's author. */
export function pathPatternProblem(pattern: string): string | null {
  if (!pattern.startsWith('/')) return 'must start with "/" (a path under the service\'s API base URL)';
  if (pattern.length > 1000) return 'is longer than 1000 characters';
  if (/[?#]/.test(pattern)) return 'must not contain "?" or "#": patterns match the path, never the query string';
  for (const segment of pattern.slice(1).split('/')) {
    if (segment === '*' || segment === '**') continue;
    if (segment === '.' || segment === '..') return 'must not contain a "." or ".." segment';
    if (segment.includes('*')) return `has "${segment.slice(0, 40)}": a "*" or "**" must be a whole segment (e.g. /repos/*/issues)`;
    if (segment.includes('%')) return 'must not percent-encode: write the segment as it reads (paths are decoded before matching)';
    if (segment !== '' && !LITERAL.test(segment)) return `has "${segment.slice(0, 40)}", which contains a character a path segment cannot hold unencoded`;
  }
  return null;
}

/** The path's segments, percent-decoded; null when one cannot be decoded (the broker refused it already). */
function segmentsOf(target: string): string[] | null {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  try {
    return path.slice(1).split('/').map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}

/** Glob match of segments; a table over (pattern, path) positions keeps it linear in their product, whatever the `**`s. */
function matchSegments(pattern: readonly string[], path: readonly string[]): boolean {
  // can[j]: pattern[0..i) matches path[0..j).
  let can = new Array<boolean>(path.length + 1).fill(false);
  can[0] = true;
  for (const p of pattern) {
    const next = new Array<boolean>(path.length + 1).fill(false);
    if (p === '**') {
      let seen = false;
      for (let j = 0; j <= path.length; j++) next[j] = seen = seen || can[j]!;
    } else {
      for (let j = 1; j <= path.length; j++) next[j] = can[j - 1]! && (p === '*' ? path[j - 1] !== '' : p === path[j - 1]);
    }
    can = next;
  }
  return can[path.length]!;
}

/** Whether a path (as sent, starting with "/", query allowed) matches a valid pattern. */
export function pathMatches(pattern: string, target: string): boolean {
  const path = segmentsOf(target.length === 0 ? '/' : target);
  if (!path) return false;
  return matchSegments(pattern.slice(1).split('/'), path);
}

/** Why the call is outside the limits (a message for the skill, naming what was declared), or null. */
export function callRefusal(limits: CallLimits, method: string, target: string): string | null {
  if (limits.methods && !limits.methods.includes(method)) {
    return `The skill's manifest allows ${limits.methods.join(', ')} on ${limits.service}, not ${method.slice(0, 20)}.`;
  }
  if (limits.paths && !limits.paths.some((p) => pathMatches(p, target))) {
    return `The skill's manifest allows on ${limits.service} only the paths ${limits.paths.join(' ').slice(0, 300)}.`;
  }
  return null;
}
