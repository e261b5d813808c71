/**
 * What the broker proxy must never do with an imported login. Kept free of imports so the broker
 * (and anything else) can depend on it without loading the importer.
 *
 * Anthropic's terms: an OAuth login from a Claude Free/Pro/Max plan may be used only by Claude Code
 * itself. Sophon may show it and hand it to a skill that runs the `claude` program (injected), but it
 * must never attach it to another request through the broker.
 */

/** Catalog id of an imported Claude Code subscription login (electron/core/catalog/builtin/cli-logins.ts). */
export const CLAUDE_SUBSCRIPTION_SERVICE_ID = 'claude-subscription';

/** Non-secret connection fields an import writes. */
export const IMPORT_FIELDS = {
  /** Stable key of the login at its source, e.g. `gh:github.com:octocat`. */
  key: 'importKey',
  /** The source kind: `gh`, `claude`, `codex`, `env`, `openai-file`. */
  source: 'importSource',
  /** `linked` (re-read from the CLI's store when needed) or `copy` (the secret is in the vault). */
  mode: 'importMode',
  /** `claude-code-only` when the provider allows the credential only in its own CLI. */
  policy: 'importPolicy',
} as const;

export const POLICY_CLAUDE_CODE_ONLY = 'claude-code-only';

const CLAUDE_REASON =
  'This is a Claude Free/Pro/Max login imported from Claude Code; Anthropic allows it only in Claude Code itself. ' +
  'Sophon never attaches it to other requests: connect Anthropic with an API key for API calls.';

/**
 * A human reason when the connection's credential must never be attached to a request through the
 * broker proxy, else null: the catalog says so for its service (`proxyAllowed: false`), or the import
 * recorded the provider's policy on the connection (imported Claude subscription logins).
 */
export function proxyRefusal(
  conn: { serviceId: string; fields: Record<string, string> },
  service?: { name: string; proxyAllowed: boolean },
): string | null {
  if (conn.serviceId === CLAUDE_SUBSCRIPTION_SERVICE_ID) return CLAUDE_REASON;
  if (conn.fields[IMPORT_FIELDS.policy] === POLICY_CLAUDE_CODE_ONLY) return CLAUDE_REASON;
  if (service && !service.proxyAllowed) {
    return `The terms of ${service.name} allow this credential only in its own program; Sophon never attaches it to a request through the broker.`;
  }
  return null;
}
