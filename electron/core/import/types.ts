/** The kinds of place a login is found. */
export const IMPORT_SOURCES = ['gh', 'claude', 'codex', 'openai-file', 'env'] as const;
export type ImportSourceKind = (typeof IMPORT_SOURCES)[number];

/** `--from` groups: what a person asks for. */
export const FROM_CHOICES = { gh: ['gh'], claude: ['claude'], openai: ['codex', 'openai-file'], env: ['env'] } as const satisfies Record<string, readonly ImportSourceKind[]>;
export type FromChoice = keyof typeof FROM_CHOICES;

/**
 * A login found in a CLI's store or the environment. Everything here may be shown and stored except
 * `secret`, which stays in memory: it is never serialised (see `describeLogin`).
 */
export interface FoundLogin {
  /** Stable identity at its source, e.g. `gh:github.com:octocat`. */
  key: string;
  source: ImportSourceKind;
  /** Where it was read: a file, folder, keyring item or variable name. Never a secret. */
  store: string;
  /** How it is stored there: `hosts.yml`, `keyring`, `file`, `environment`. */
  storage: string;
  serviceId: string;
  account: string | null;
  host: string | null;
  plan: string | null;
  scopes: string[];
  /** Epoch ms; null when the credential does not expire (or its expiry is unknown). */
  expiresAt: number | null;
  /** `linked` when Sophon can re-read it from its store; `copy` when it can only be copied (environment). */
  defaultMode: 'linked' | 'copy';
  /** Whether `--copy` may store an independent copy (GitHub CLI tokens only). */
  copyAllowed: boolean;
  /** A provider rule about where it may be used (Claude subscription logins), or null. */
  policy: string | null;
  /** Extra non-secret fields for the connection (e.g. a GitHub Enterprise host). */
  fields: Record<string, string>;
  warnings: string[];
  secret: string;
}

export interface SourceReport {
  source: ImportSourceKind;
  /** `ok`: read (possibly nothing found); `missing`: no such store here; `error`: could not be read. */
  status: 'ok' | 'missing' | 'error';
  /** One line per problem or note, for a person; never a secret. */
  messages: string[];
}

export interface ScanResult {
  reports: SourceReport[];
  logins: FoundLogin[];
}

/** What a store says now about one imported login: its current secret, or why it cannot be used. */
export type LinkedRead =
  | { ok: true; secret: string; expiresAt: number | null; account: string | null; scopes: string[] }
  | { ok: false; reason: string };

export interface SourceEnv {
  env: NodeJS.ProcessEnv;
  home: string;
  platform: NodeJS.Platform;
  now: () => number;
}
