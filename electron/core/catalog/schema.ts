import { z } from 'zod';
import { AUTH_METHODS } from '../../../shared/auth-names';

/**
 * A service Sophon can connect to. Built-in services and user connector files
 * (`SOPHON_HOME/connectors/*.json`) share this one schema.
 *
 * Templates: strings in `apiBaseUrl`, `allowedHosts`, `attach` and `test` may contain
 *   {secret}       the connection's main secret (API key, bearer token, or OAuth access token)
 *   {field.NAME}   a connection field declared in `fields` (e.g. {field.site}, {field.email})
 * Nothing else is substituted.
 */

/** The auth methods are listed once, in shared/ (the contract shares them). */
export { AUTH_METHODS, type AuthMethod } from '../../../shared/auth-names';

const idSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'must be 1-48 lowercase letters, digits or "-", starting with a letter or digit');
const httpsUrl = z.url({ protocol: /^https?$/ });

/**
 * A strict object whose unknown-key error lists the keys it does accept: a connector author who wrote
 * `authorizeUrl` learns the real name without opening the docs.
 */
function strictObject<S extends z.ZodRawShape>(shape: S) {
  const valid = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; valid keys: ${valid}` : undefined),
  });
}

/** A value the person supplies when connecting (site name, account SID, email, SMTP host, …). */
export const FieldSchema = strictObject({
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/),
  label: z.string().min(1),
  /** Secret fields live in the vault; others in connection metadata. */
  secret: z.boolean().default(false),
  required: z.boolean().default(true),
  kind: z.enum(['string', 'url', 'host', 'port', 'email', 'enum']).default('string'),
  options: z.array(z.string()).optional(),
  default: z.string().optional(),
  help: z.string().optional(),
});
export type ServiceField = z.output<typeof FieldSchema>;

/** Where the credential goes on a request. Each entry is applied; values are templates. */
export const AttachSchema = z.discriminatedUnion('in', [
  z.strictObject({ in: z.literal('header'), name: z.string().min(1), value: z.string().min(1) }),
  z.strictObject({ in: z.literal('query'), name: z.string().min(1), value: z.string().min(1) }),
  z.strictObject({ in: z.literal('basic'), username: z.string(), password: z.string() }),
]);
export type AttachRule = z.output<typeof AttachSchema>;

/**
 * How a person (or a distributor) registers Sophon at the service's developer console, for the guided
 * setup (`sophon oauth setup`, the app's setup panel) and docs/oauth.md. Whether a client secret is
 * needed is `clientSecretRequired`; whether device sign-in is offered is `deviceAuthorizationUrl`.
 */
export const OAUTH_REDIRECT_RULES = ['loopback', 'loopback-automatic', 'loopback-fixed-port'] as const;
export const OAuthSetupSchema = strictObject({
  /** Where an app is registered (the provider's developer console). */
  consoleUrl: z.url({ protocol: /^https$/ }),
  /** What to choose there, in the console's own words ("Desktop app", "Mobile and desktop applications"). */
  appType: z.string().min(1).max(300),
  /**
   * `loopback`: register the redirect URI http://127.0.0.1/callback; the server accepts it on any port
   * (RFC 8252 §7.3). `loopback-automatic`: nothing to register, the app type accepts any loopback redirect.
   * `loopback-fixed-port`: the provider matches the redirect URI exactly, port included, so Sophon listens
   * on `redirectPort` and the URI to register is http://127.0.0.1:<redirectPort>/callback.
   */
  redirect: z.enum(OAUTH_REDIRECT_RULES).default('loopback'),
  /** Only with `loopback-fixed-port`: the port registered with the provider (a busy port is a clear error at sign-in). */
  redirectPort: z.number().int().min(1024).max(65535).optional(),
  /** Further steps in the console, in order (switches to turn on, scopes to add). */
  steps: z.array(z.string().min(1).max(500)).default([]),
  /** Which public document these facts were checked against, or "unverified: …" naming what was not. */
  verified: z.string().min(1).max(1000),
}).refine((s) => (s.redirect === 'loopback-fixed-port') === (s.redirectPort !== undefined), {
  message: 'redirectPort is given exactly when redirect is "loopback-fixed-port"',
  path: ['redirectPort'],
});
export type OAuthSetup = z.output<typeof OAuthSetupSchema>;

export const OAuthSchema = strictObject({
  /** Optional when `issuer` is given: discovery (RFC 8414 / OpenID Connect) supplies every endpoint. */
  authorizationUrl: httpsUrl.optional(),
  tokenUrl: httpsUrl.optional(),
  revocationUrl: httpsUrl.optional(),
  deviceAuthorizationUrl: httpsUrl.optional(),
  /** Issuer for discovery, OpenID Connect and RFC 9207 `iss` checks, where the service has one. */
  issuer: httpsUrl.optional(),
  /** RFC 8707 resource indicator sent with every authorization and token request (set for APIs found by RFC 9728). */
  resource: httpsUrl.optional(),
  /** Register Sophon at the server (RFC 7591) when it offers a registration endpoint and no client id is set. */
  dynamicRegistration: z.boolean().default(true),
  pkce: z.boolean().default(true),
  /** Services that require a confidential client (a client secret) even for desktop apps. */
  clientSecretRequired: z.boolean().default(false),
  extraAuthorizationParams: z.record(z.string(), z.string()).default({}),
  scopeSeparator: z.string().default(' '),
  /** How to register Sophon at the service (guided setup); absent for services that register themselves (issuer + RFC 7591). */
  setup: OAuthSetupSchema.optional(),
}).refine((o) => o.issuer !== undefined || (o.authorizationUrl !== undefined && o.tokenUrl !== undefined), {
  error: 'give either "issuer" (endpoints are discovered) or both "authorizationUrl" and "tokenUrl"',
});

export const TestCallSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    method: z.enum(['GET', 'POST']).default('GET'),
    /** Path under apiBaseUrl, or an absolute URL (template) whose host is in allowedHosts. */
    path: z.string().min(1),
    headers: z.record(z.string(), z.string()).default({}),
    /** JSON body for POST test calls that are still read-only (e.g. Slack auth.test, GraphQL viewer). */
    body: z.unknown().optional(),
    /** Some APIs answer 200 with an error flag (Slack: {"ok": false}); this JSON field must be true. */
    okField: z.string().optional(),
  }),
  z.strictObject({ kind: z.literal('smtp_imap') }),
  /** No side-effect-free call exists (outbound webhooks): the test only checks the stored shape. */
  z.strictObject({ kind: z.literal('none'), reason: z.string().min(1) }),
]);
export type TestCall = z.output<typeof TestCallSchema>;

export const ServiceSchema = strictObject({
  id: idSchema,
  name: z.string().min(1),
  /** Catalog section the UI groups by: "Google", "Microsoft 365", "Developer", "Chat", "Work management", "LLM providers", "Storage", "Automation", "Telephony", "Generic". */
  group: z.string().min(1),
  /**
   * Services that reach the same API as the same account kind by different logins (GitHub: OAuth app,
   * personal access token, imported gh login) share a family, named by its main service's id. A skill
   * manifest names a service; any connection of that service's family satisfies it. Absent: its own id.
   */
  family: idSchema.optional(),
  description: z.string().default(''),
  auth: strictObject({
    method: z.enum(AUTH_METHODS),
    oauth: OAuthSchema.optional(),
    /** What the person is asked for besides the main secret. */
    fields: z.array(FieldSchema).default([]),
    /** Label for the main secret in prompts ("API key", "Bot token", "Personal access token"). */
    secretLabel: z.string().default('API key'),
  }),
  defaultScopes: z.array(z.string()).default([]),
  apiBaseUrl: z.string().min(1),
  /** The only hosts the credential may be sent to (templates allowed, e.g. "{field.site}.atlassian.net"). */
  allowedHosts: z.array(z.string().min(1)).min(1),
  attach: z.array(AttachSchema).default([]),
  test: TestCallSchema,
  /** Runs on this machine or the local network (Ollama): the broker may connect to private addresses. */
  local: z.boolean().default(false),
  /**
   * The provider's terms: false where the credential may never be attached to a request through the
   * broker proxy (a Claude subscription login may be used only by Claude Code; a skill that runs
   * `claude` gets it injected instead). The broker and `skill run` enforce it.
   */
  proxyAllowed: z.boolean().default(true),
  docsUrl: z.string().optional(),
  /** Facts that could not be confirmed from the service's own documentation. */
  unverified: z.array(z.string()).default([]),
});
export type ServiceDefinition = z.output<typeof ServiceSchema>;

/** The family a service belongs to (its own id unless it names one). */
export function familyOf(service: Pick<ServiceDefinition, 'id' | 'family'>): string {
  return service.family ?? service.id;
}
export type ServiceDefinitionInput = z.input<typeof ServiceSchema>;

export type ServiceSource = { kind: 'builtin' } | { kind: 'connector'; file: string };
export interface CatalogEntry {
  service: ServiceDefinition;
  source: ServiceSource;
}
