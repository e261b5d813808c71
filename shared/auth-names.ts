/**
 * Every auth method a service may use, by the name a person knows: the one list. The catalog schema
 * (electron/core/catalog/schema.ts) and the contract (shared/contract.ts) take their enums from it;
 * shared/ cannot import electron/, so it lives here (docs/architecture.md, "Extension points").
 */
const NAMES = {
  oauth2: 'OAuth',
  api_key: 'API key',
  bearer: 'Token',
  basic: 'Username & password',
  smtp_imap: 'Mail (SMTP/IMAP)',
  webhook_url: 'Webhook',
  none: 'None',
} as const satisfies Record<string, string>;

export type AuthMethod = keyof typeof NAMES;

export const AUTH_METHODS = Object.keys(NAMES) as [AuthMethod, ...AuthMethod[]];

/**
 * "OAuth", "API key"… for human output (`--json` keeps the raw method). A bearer token that the service
 * calls an API key (its secret label says so) is shown as one: that is what the person pasted.
 */
export function authMethodName(method: string, secretLabel?: string): string {
  if (method === 'bearer' && secretLabel !== undefined && /\bAPI key\b/i.test(secretLabel)) return 'API key';
  return Object.hasOwn(NAMES, method) ? NAMES[method as AuthMethod] : method;
}

/** "a token", "an API key": the article a label takes in a sentence. */
export function withArticle(noun: string): string {
  // Initialisms read letter by letter take "an" before a vowel sound (an API key, an SMTP password, an OAuth token).
  const first = /^[A-Z]{2,}/.test(noun) ? noun[0]! : noun[0]?.toLowerCase() ?? '';
  const vowelSound = /^[A-Z]{2,}/.test(noun) ? 'AEFHILMNORSX'.includes(first) : 'aeiou'.includes(first);
  return `${vowelSound ? 'an' : 'a'} ${noun}`;
}
