import { SophonError } from '../errors';

const ID = /^[a-z0-9][a-z0-9-]{0,47}$/;

/**
 * The file `sophon connector new <id>` writes: JSON with comments, valid as it stands (an example
 * bearer-token API at api.example.com), so the person only changes values and never fixes syntax.
 */
export function connectorTemplate(id: string): string {
  if (!ID.test(id)) throw new SophonError('invalid_input', 'A connector id is 1-48 lowercase letters, digits or "-", starting with a letter or digit.');
  return `// Sophon connector: one service your agent may use. Comments (//) are allowed.
// Check it with: sophon connector validate <this file>
//
// Templates: "{secret}" is the connection's main secret (API key, token, OAuth access token);
// "{field.NAME}" is a value declared under auth.fields. Nothing else is substituted, and
// braces cannot appear for any other purpose.
{
  // Unique id: lowercase letters, digits and "-". Must not be the id of a built-in service.
  "id": ${JSON.stringify(id)},
  "name": ${JSON.stringify(id)},
  // Catalog section, e.g. "Developer", "Work management", "LLM providers", "Generic".
  "group": "Generic",
  "description": "What the agent can do with this service.",

  "auth": {
    // One of: "bearer" (Authorization: Bearer), "api_key" (a header or query key), "basic",
    // "oauth2", "webhook_url", "smtp_imap", "none".
    "method": "bearer",
    // What the person is asked for when connecting.
    "secretLabel": "API token",
    // Extra values the person supplies, usable as {field.NAME}. For example:
    //   { "name": "site", "label": "Site name", "kind": "string" }
    // kind: "string", "url", "host", "port", "email", "enum" (with "options": [...]).
    // "secret": true keeps a field in the vault; "required": false makes it optional; "default": "…".
    "fields": []
    // For "oauth2", add an "oauth" block. URLs are https; plain http is allowed only with "local": true
    // (below). Either the issuer alone (every endpoint is discovered, and Sophon registers itself where
    // the server allows it):
    // "oauth": { "issuer": "https://login.example.com" }
    // or the endpoints by hand:
    // "oauth": {
    //   "authorizationUrl": "https://example.com/oauth/authorize",
    //   "tokenUrl": "https://example.com/oauth/token",
    //   "revocationUrl": "https://example.com/oauth/revoke",
    //   "pkce": true,
    //   // How to register Sophon there, shown by \`sophon oauth setup <id>\` and the app's setup panel:
    //   "setup": { "consoleUrl": "https://example.com/developers/apps", "appType": "Native app", "verified": "unverified" }
    // }
    // Every OAuth key (issuer, deviceAuthorizationUrl, resource, setup, …) is described in docs/oauth.md.
  },
  // OAuth only: the scopes requested by default.
  // "defaultScopes": ["read"],

  // Every API path is under this URL. https, unless "local": true (a server on this machine or network).
  "apiBaseUrl": "https://api.example.com/v1",
  // The only hosts the credential may be sent to; the host of apiBaseUrl must be one of them.
  // "host:port" allows only that port. Templates work: "{field.site}.example.com".
  "allowedHosts": ["api.example.com"],
  // How the credential goes on each request. Other shapes:
  //   { "in": "header", "name": "X-Api-Key", "value": "{secret}" }
  //   { "in": "query", "name": "key", "value": "{secret}" }
  //   { "in": "basic", "username": "{field.email}", "password": "{secret}" }
  "attach": [
    { "in": "header", "name": "Authorization", "value": "Bearer {secret}" }
  ],
  // A cheap read-only call that proves the credential works ("path" is under apiBaseUrl).
  // POST is allowed for read-only calls: add "body": {...} and, if the API answers 200 with an error
  // flag, "okField": "ok". With no side-effect-free call: { "kind": "none", "reason": "…" }.
  "test": { "kind": "http", "method": "GET", "path": "/me" },

  // "local": true allows plain http (apiBaseUrl, OAuth URLs) and private addresses: a server on this
  // machine or network only.
  // "local": true,
  "docsUrl": "https://api.example.com/docs",
  // Facts about the service you could not confirm from its documentation.
  "unverified": []
}
`;
}
