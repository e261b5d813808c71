import type { ServiceDefinition, ServiceField } from './schema';
import { expandTemplate, hostOfUrl, parsePlaceholders, resolveAllowedHosts } from './templates';

/**
 * Rules the schema cannot express. Each problem is `field.path: what is wrong`; the list is empty when
 * the service is consistent. Host rules are checked with sample field values, since the real ones
 * arrive only when a person connects.
 */
export function checkService(service: ServiceDefinition): string[] {
  const problems: string[] = [];
  const { auth } = service;
  const needsSecretInAttach = ['api_key', 'bearer', 'basic', 'oauth2'].includes(auth.method);

  if (auth.method === 'oauth2' && !auth.oauth) problems.push('auth.oauth: required when auth.method is "oauth2" (issuer, or authorizationUrl and tokenUrl)');
  if (auth.method !== 'oauth2' && auth.oauth) problems.push(`auth.oauth: only used when auth.method is "oauth2", not "${auth.method}"`);
  if (auth.method !== 'oauth2' && service.defaultScopes.length > 0) problems.push('defaultScopes: only used when auth.method is "oauth2"');
  if (auth.oauth) {
    for (const key of ['authorizationUrl', 'tokenUrl', 'revocationUrl', 'deviceAuthorizationUrl', 'issuer', 'resource'] as const) {
      const url = auth.oauth[key];
      // Like apiBaseUrl: only a service on this machine or network (local) may sign in over http.
      if (url !== undefined && !url.startsWith('https://') && !(service.local && url.startsWith('http://'))) {
        problems.push(`auth.oauth.${key}: must be an https URL${service.local ? ' (or http for a local service)' : ''}`);
      }
    }
  }

  problems.push(...checkFields(auth.fields));
  const templateProblems = checkTemplates(service);
  problems.push(...templateProblems);

  if (needsSecretInAttach) {
    if (service.attach.length === 0) problems.push(`attach: needs at least one entry for auth.method "${auth.method}"`);
    else if (!attachTemplates(service).some(([, t]) => t.includes('{secret}'))) problems.push('attach: never uses {secret}, so the credential would not be sent');
  }
  if (auth.method === 'none' && attachTemplates(service).some(([, t]) => t.includes('{secret}'))) {
    problems.push('attach: uses {secret}, but auth.method "none" has no secret');
  }

  if (service.test.kind === 'smtp_imap' && auth.method !== 'smtp_imap') problems.push('test.kind: "smtp_imap" only works with auth.method "smtp_imap"');
  if (auth.method === 'smtp_imap' && service.test.kind === 'http') problems.push('test.kind: auth.method "smtp_imap" needs test kind "smtp_imap" or "none"');

  // Host checks need templates that parse; their problems are already reported above.
  if (templateProblems.length === 0) problems.push(...checkHosts(service));
  return problems;
}

function checkFields(fields: ServiceField[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    if (seen.has(f.name)) problems.push(`auth.fields.${i}.name: "${f.name}" is declared twice`);
    seen.add(f.name);
    if (f.kind === 'enum' && !f.options?.length) problems.push(`auth.fields.${i}.options: required when kind is "enum"`);
    if (f.kind === 'enum' && f.default !== undefined && f.options && !f.options.includes(f.default)) {
      problems.push(`auth.fields.${i}.default: not one of its options`);
    }
  });
  return problems;
}

function attachTemplates(service: ServiceDefinition): [string, string][] {
  return service.attach.flatMap((rule, i): [string, string][] =>
    rule.in === 'basic'
      ? [[`attach.${i}.username`, rule.username], [`attach.${i}.password`, rule.password]]
      : [[`attach.${i}.name`, rule.name], [`attach.${i}.value`, rule.value]],
  );
}

/** Every template string with its field path. A test body is sent as written, so it is not a template. */
function templateStrings(service: ServiceDefinition): { path: string; template: string; secretAllowed: boolean }[] {
  const out = [
    { path: 'apiBaseUrl', template: service.apiBaseUrl, secretAllowed: false },
    ...service.allowedHosts.map((template, i) => ({ path: `allowedHosts.${i}`, template, secretAllowed: false })),
    ...attachTemplates(service).map(([path, template]) => ({ path, template, secretAllowed: true })),
  ];
  if (service.test.kind === 'http') {
    out.push({ path: 'test.path', template: service.test.path, secretAllowed: true });
    for (const [name, value] of Object.entries(service.test.headers)) out.push({ path: `test.headers.${name}`, template: value, secretAllowed: true });
  }
  return out;
}

function checkTemplates(service: ServiceDefinition): string[] {
  const problems: string[] = [];
  const fields = new Map(service.auth.fields.map((f) => [f.name, f]));
  for (const { path, template, secretAllowed } of templateStrings(service)) {
    let placeholders;
    try {
      placeholders = parsePlaceholders(template);
    } catch (err) {
      problems.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    for (const p of placeholders) {
      if (p.kind === 'secret') {
        // A secret in a host or base URL would end up in logs, audit rows and error messages.
        if (!secretAllowed) problems.push(`${path}: {secret} may only be used in attach and test`);
        continue;
      }
      const field = fields.get(p.name);
      if (!field) problems.push(`${path}: uses {field.${p.name}}, which is not declared in auth.fields`);
      else if (field.secret && !secretAllowed) problems.push(`${path}: uses the secret field {field.${p.name}}; secret fields may only be used in attach and test`);
    }
  }
  return problems;
}

const SAMPLE_BY_KIND: Record<ServiceField['kind'], string> = {
  string: 'sample',
  url: 'https://sample.example',
  host: 'sample.example',
  port: '443',
  email: 'person@sample.example',
  enum: 'sample',
};

/** Field values a person could plausibly give, to check host rules before anyone connects. */
export function sampleFieldValues(fields: ServiceField[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f.name, f.default ?? (f.kind === 'enum' ? f.options?.[0] : undefined) ?? SAMPLE_BY_KIND[f.kind]]));
}

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

function checkHosts(service: ServiceDefinition): string[] {
  const fields = sampleFieldValues(service.auth.fields);
  const values = { secret: 'sample-secret', fields };
  let allowed: string[];
  try {
    allowed = resolveAllowedHosts(service, fields);
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
  const problems: string[] = [];
  const httpOnly = service.auth.method !== 'smtp_imap';
  const checkUrl = (path: string, template: string) => {
    const url = expandTemplate(template, values);
    const host = hostOfUrl(url);
    if (host === undefined) {
      problems.push(`${path}: not an absolute URL with a host`);
      return;
    }
    if (!allowed.includes(host)) problems.push(`${path}: its host is not in allowedHosts`);
    if (httpOnly && service.local && !/^https?:\/\//.test(url)) problems.push(`${path}: must be an http(s) URL`);
    if (httpOnly && !service.local && !url.startsWith('https://')) problems.push(`${path}: must use https (only services marked "local" may use http)`);
  };
  checkUrl('apiBaseUrl', service.apiBaseUrl);
  if (service.test.kind === 'http') {
    const path = service.test.path;
    if (ABSOLUTE_URL.test(path)) checkUrl('test.path', path);
    else if (!expandTemplate(path, values).startsWith('/')) problems.push('test.path: must start with "/" or be an absolute URL');
  }
  return problems;
}
