import { SophonError } from '../errors';
import type { ServiceDefinition } from './schema';

/**
 * Catalog templates: `{secret}` and `{field.NAME}`, nothing else. Braces are always syntax; a template
 * cannot hold a literal `{` or `}` (URLs, hosts and header values never need one).
 */
export type Placeholder = { kind: 'secret' } | { kind: 'field'; name: string };

export interface TemplateValues {
  secret?: string;
  fields: Record<string, string>;
}

const FIELD_PLACEHOLDER = /^field\.([a-zA-Z][a-zA-Z0-9_]{0,39})$/;

function fail(message: string): never {
  throw new SophonError('invalid_input', message);
}

/** Every placeholder in `template`, in order. Throws on an unknown placeholder or an unmatched brace. */
export function parsePlaceholders(template: string): Placeholder[] {
  const found: Placeholder[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const close = template.indexOf('}', i);
    if (open === -1 && close === -1) break;
    if (open === -1 || (close !== -1 && close < open)) fail(`unmatched "}" at character ${close + 1}`);
    const end = template.indexOf('}', open + 1);
    const nextOpen = template.indexOf('{', open + 1);
    if (end === -1 || (nextOpen !== -1 && nextOpen < end)) fail(`unmatched "{" at character ${open + 1}`);
    const inner = template.slice(open + 1, end);
    const field = FIELD_PLACEHOLDER.exec(inner);
    if (inner === 'secret') found.push({ kind: 'secret' });
    else if (field?.[1]) found.push({ kind: 'field', name: field[1] });
    // Only name-like text is echoed: a template from a connector file could hold a pasted secret.
    else fail(`unknown placeholder ${/^[\w.-]{1,40}$/.test(inner) ? `{${inner}}` : 'between braces'}: only {secret} and {field.NAME} are substituted`);
    i = end + 1;
  }
  return found;
}

/**
 * Substitutes placeholders in one pass (values are never re-scanned). An empty field counts as missing.
 * Errors name the placeholder, never a value.
 */
export function expandTemplate(template: string, values: TemplateValues): string {
  parsePlaceholders(template);
  return template.replace(/\{([^{}]*)\}/g, (_match, inner: string) => {
    if (inner === 'secret') {
      if (values.secret === undefined || values.secret === '') fail('the template needs {secret}, but no secret was given');
      return values.secret;
    }
    const name = inner.slice('field.'.length);
    const value = Object.hasOwn(values.fields, name) ? values.fields[name] : undefined;
    if (value === undefined || value === '') fail(`the template needs {field.${name}}, which has no value`);
    return value;
  });
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/** `host` or `host:port`, lowercased; undefined if it is not one. */
export function normalizeHost(entry: string): string | undefined {
  const lower = entry.trim().toLowerCase();
  const m = /^(\[[^\]]*\]|[^:]+)(?::(\d{1,5}))?$/.exec(lower);
  if (!m?.[1]) return undefined;
  const [, host, port] = m;
  if (!HOST_NAME.test(host) && !IPV6.test(host)) return undefined;
  if (port === undefined) return host;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? `${host}:${n}` : undefined;
}

/** `host` or `host:port` of a URL as the broker compares it (default ports dropped); undefined if not a URL with a host. */
export function hostOfUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return parsed.host === '' ? undefined : normalizeHost(parsed.host);
}

/**
 * The hosts a connection's credential may go to: each `allowedHosts` entry expanded with the fields.
 * An entry that is a URL, or a lone field whose value is a URL (e.g. `{field.baseUrl}`), stands for
 * that URL's host and explicit port.
 * Entries with a port only allow that port; entries without one allow the scheme's default port.
 */
export function resolveAllowedHosts(service: Pick<ServiceDefinition, 'allowedHosts'>, fields: Record<string, string>): string[] {
  const hosts = service.allowedHosts.map((template, i) => {
    const expanded = expandTemplate(template, { fields });
    // Decided by the template, not the value: otherwise a site of "x://evil.example/" would turn
    // "{field.site}.atlassian.net" into a URL whose host is evil.example.
    const isUrlEntry = template.includes('://') || (/^\{field\.[^{}]+\}$/.test(template) && expanded.includes('://'));
    const host = isUrlEntry ? hostOfUrl(expanded) : normalizeHost(expanded);
    if (host === undefined) fail(`allowedHosts.${i} does not give a host name with the values given`);
    return host;
  });
  return [...new Set(hosts)];
}

/** Whether a request URL goes to one of the resolved allowed hosts (exact host and port match). */
export function isUrlAllowed(url: string, allowedHosts: readonly string[]): boolean {
  const host = hostOfUrl(url);
  return host !== undefined && allowedHosts.includes(host);
}

/** `base` + `path` as the catalog means it: the path is appended to the base URL's path, never resolved against it. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * The URL of a service's HTTP test call with the connection's values, checked against its allowed
 * hosts: a field-supplied path (e.g. the generic HTTP API's test path) cannot send the secret elsewhere.
 */
export function testCallUrl(service: Pick<ServiceDefinition, 'apiBaseUrl' | 'allowedHosts' | 'test'>, values: TemplateValues): string {
  if (service.test.kind !== 'http') fail(`this service has no HTTP test call (test kind "${service.test.kind}")`);
  const path = expandTemplate(service.test.path, values);
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(path) ? path : joinUrl(expandTemplate(service.apiBaseUrl, values), path);
  if (!isUrlAllowed(url, resolveAllowedHosts(service, values.fields))) fail('the test call would go to a host that is not in allowedHosts');
  return url;
}
