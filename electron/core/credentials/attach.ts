import type { AttachRule, ServiceDefinition } from '../catalog/schema';
import { expandTemplate, type TemplateValues } from '../catalog/templates';
import type { StoredCredential } from '../vault/credential';
import { Redactor } from './redact';

/** Applies the catalog's attach rules: the credential goes exactly where the service says, nowhere else. */
export function attachCredential(rules: readonly AttachRule[], values: TemplateValues, url: URL, headers: Headers): void {
  for (const rule of rules) {
    if (rule.in === 'header') headers.set(rule.name, expandTemplate(rule.value, values));
    else if (rule.in === 'query') url.searchParams.set(rule.name, expandTemplate(rule.value, values));
    else {
      const pair = `${expandTemplate(rule.username, values)}:${expandTemplate(rule.password, values)}`;
      headers.set('Authorization', `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`);
    }
  }
}

/** Every secret value a stored credential holds (what a skill's output or a service's answer is masked of). */
export function secretValues(credential: StoredCredential): string[] {
  return [credential.accessToken, credential.refreshToken, credential.apiKey, ...Object.values(credential.extra)].filter((s): s is string => !!s);
}

/** How one credential goes on a request to its service, and what to mask in the answer. */
export interface Attachment {
  /** Headers the attach rules set (lowercase names), in order. */
  headers: [string, string][];
  /** Header names a caller's own request must not carry (they would compete with the credential). */
  headerNames: string[];
  /** Query parameters the attach rules set. */
  query: [string, string][];
  /** Every secret held for the connection and the forms the attach rules put on the wire. */
  secrets: string[];
  redactor: Redactor;
}

/**
 * The attach rules of a service applied to one credential, computed once: the headers and query
 * parameters, and every secret to redact, including what the rules derive from it (a Basic header's
 * `user:password` pair and its base64).
 */
export function attachmentFor(service: ServiceDefinition, fields: Record<string, string>, credential: StoredCredential, secret: string | undefined): Attachment {
  const secrets = [...new Set([secret, ...secretValues(credential)].filter((s): s is string => !!s))];
  const values: TemplateValues = { secret, fields: { ...fields, ...credential.extra } };
  const probe = new URL('http://attach.invalid/');
  const headers = new Headers();
  attachCredential(service.attach, values, probe, headers);
  const attached: [string, string][] = [];
  headers.forEach((value, name) => attached.push([name, value]));
  for (const [, value] of attached) secrets.push(value, value.replace(/^(Bearer|Basic|Token|Bot)\s+/i, ''));
  for (const rule of service.attach) {
    if (rule.in !== 'basic') continue;
    try {
      secrets.push(`${expandTemplate(rule.username, values)}:${expandTemplate(rule.password, values)}`);
    } catch {
      /* a rule that cannot expand attached nothing */
    }
  }
  return {
    headers: attached,
    headerNames: [...service.attach.flatMap((a) => (a.in === 'header' ? [a.name] : a.in === 'basic' ? ['authorization'] : [])), ...attached.map(([n]) => n)],
    query: [...probe.searchParams],
    secrets,
    redactor: new Redactor(secrets),
  };
}
