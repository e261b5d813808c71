/** The kind of place a login is found (`gh`, `claude`, …): a registered source's `kind` (sources/registry.ts). */
export type ImportSourceKind = string;

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

/**
 * One place CLI logins are found: one file per source under sources/, registered by one line in
 * sources/registry.ts. Everything the importer, the CLI (`--from`) and the app's start-up look need
 * to know about a source is here.
 */
export interface LoginSource {
  /** Its id in reports, in `importSource` on the connections it made, and in `imports.scan`'s answers. */
  kind: string;
  /** For people: "GitHub CLI (gh)". */
  name: string;
  /** Who owns the login, for labels: "octocat via gh". */
  owner: string;
  /** How a person gets a fresh login there, for the expired/needs-re-auth message. */
  refresh: string;
  /** How it names its login when it has expired: "The Claude Code login expired at …". */
  expiredName: string;
  /** The `--from` choice that includes it (several sources may share one: `openai` is Codex and the file). */
  from: string;
  /** Whether the app's start-up look (Sophon.Import.Auto) includes it. */
  onStart: boolean;
  /** Labels its connections by where the login was read (`$GH_TOKEN`) rather than by account. */
  labelFromStore?: boolean;
  scan(se: SourceEnv): Promise<{ report: SourceReport; logins: FoundLogin[] }>;
  /** Re-reads a linked login from its store, given the connection's fields; absent for a source whose logins are only copied. */
  readLinked?(se: SourceEnv, fields: Record<string, string>): Promise<LinkedRead>;
  /** The folder whose changes can change a linked login read from `store`; absent when there is none to watch. */
  watchedFolder?(store: string): string;
}
