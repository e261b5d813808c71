import type { ServiceDefinition } from '../catalog/schema';
import { attachCredential } from '../credentials/attach';
import { expandTemplate, testCallUrl, type TemplateValues } from '../catalog/templates';
import { errnoOf } from '../errors';
import type { TestOutcome } from './test-outcome';

const ACCOUNT_FIELDS = ['login', 'email', 'emailAddress', 'username', 'user', 'name'] as const;

function accountOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ACCOUNT_FIELDS) {
    const v = record[key];
    if (typeof v === 'string' && v.length > 0 && v.length <= 200) return v;
  }
  return undefined;
}

/** Why a request never got an answer, in words a person can act on. */
function unreachableReason(err: unknown, host: string): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `${host} did not answer in time`;
  const code = errnoOf(err instanceof Error ? err.cause : undefined) ?? errnoOf(err);
  switch (code) {
    case 'ECONNREFUSED':
      return `${host} refused the connection (is the service running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${host} could not be found (DNS)`;
    case 'ECONNRESET':
      return `${host} closed the connection`;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `${host} did not answer in time`;
    default:
      if (code && /CERT|SSL|TLS/.test(code)) return `the TLS certificate of ${host} is not trusted (${code})`;
      return `${host} could not be reached${code ? ` (${code})` : ''}`;
  }
}

const SLACK_REJECTED = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']);

/**
 * The service's minimal real call with the credential attached as the catalog says. Redirects are
 * never followed (a credential must not travel to another host); messages never quote a response
 * body, which could echo the secret.
 */
export async function runHttpTest(
  service: ServiceDefinition,
  material: { secret?: string; fields: Record<string, string> },
  options: { timeoutMs?: number } = {},
): Promise<TestOutcome> {
  const test = service.test;
  if (test.kind !== 'http') throw new Error(`runHttpTest on a ${test.kind} test`);
  const values: TemplateValues = { secret: material.secret, fields: material.fields };
  const url = new URL(testCallUrl(service, values));
  const host = url.host;
  const headers = new Headers({ accept: 'application/json', 'user-agent': 'Sophon' });
  for (const [name, value] of Object.entries(test.headers)) headers.set(name, expandTemplate(value, values));
  attachCredential(service.attach, values, url, headers);
  let body: string | undefined;
  if (test.body !== undefined) {
    body = JSON.stringify(test.body);
    headers.set('content-type', 'application/json');
  }

  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let res: Response;
  try {
    res = await fetch(url, { method: test.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 15_000) });
  } catch (err) {
    return { status: 'unreachable', message: `Unreachable: ${unreachableReason(err, host)}.`, elapsedMs: elapsed() };
  }
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const base = { elapsedMs: elapsed(), statusCode: res.status };

  if (res.status >= 300 && res.status < 400) {
    const to = res.headers.get('location');
    const target = to && URL.canParse(to, url.href) ? new URL(to, url.href).host : 'elsewhere';
    return { ...base, status: 'unexpected', message: `${host} redirected the test call to ${target}; Sophon does not follow redirects with a credential.` };
  }
  if (res.status === 401) {
    return { ...base, status: 'rejected', message: `Credentials rejected by ${host} (HTTP 401): check the key, or re-authenticate.` };
  }
  if (res.status === 403) {
    const scopeHint = /insufficient_scope/i.test(res.headers.get('www-authenticate') ?? '') || res.headers.has('x-accepted-oauth-scopes');
    return scopeHint
      ? { ...base, status: 'missing_scope', message: `${host} accepted the credential but it lacks a scope this call needs (HTTP 403); reconnect with more scopes.` }
      : { ...base, status: 'rejected', message: `${host} refused the credential (HTTP 403): it may be disabled or lack access.` };
  }
  if (res.status >= 200 && res.status < 300) {
    if (test.okField !== undefined) {
      const flags = (json ?? {}) as Record<string, unknown>;
      if (flags[test.okField] !== true) {
        const error = typeof flags.error === 'string' ? flags.error : '';
        if (error === 'missing_scope') return { ...base, status: 'missing_scope', message: `${host} says the credential lacks a needed scope (${error}); reconnect with more scopes.` };
        if (SLACK_REJECTED.has(error)) return { ...base, status: 'rejected', message: `Credentials rejected by ${host} (${error}): check the token, or re-authenticate.` };
        // Only codes we know are quoted: any other text came from the server and could echo the secret.
        return { ...base, status: 'unexpected', message: `${host} answered the test call with an error flag (${test.okField} is not true).` };
      }
    }
    return { ...base, status: 'ok', message: `${host} accepted the credential (HTTP ${res.status}).`, account: accountOf(json) };
  }
  return { ...base, status: 'unexpected', message: `${host} answered the test call with HTTP ${res.status}${res.status >= 500 ? ' (a problem at the service; try again later)' : ''}.` };
}
