import { z } from 'zod';
import { AUTH_METHODS } from './auth-names';
import { BACKUP_RUNNERS, BACKUP_TRIGGERS, type BackupLastRun } from './backup-health';
import { AuditRowSchema, ConnectionSchema, ConnectionStateSchema } from './connections';
import { ErrorCodes, type ErrorCode } from './errors';
import type { EventName, OperationName } from './operations';
import { THEMES } from './themes';

/**
 * The one contract every door of the app speaks (IPC in Electron, REST in a browser): each operation's
 * name, input schema and output schema, and the events. The main process and the REST server validate
 * every input with these schemas; IPC handlers, the preload bridge, the HTTP routes and the renderer's
 * client are all derived from this table. No output schema has room for a secret: a connection carries
 * at most `secretHint`, and secrets only ever travel inward (in `connections.add`'s input). The one
 * token that travels outward is `broker.mint`'s broker token: not a service credential but a short-lived
 * capability bound to one skill's tool and connection, stored only as a hash, revocable (as the CLI's
 * `sophon broker mint` prints it) — and `agents.createToken`'s MCP token, likewise a revocable capability
 * kept only as a hash, opening only the MCP door for the caller's own agent (as `sophon mcp token create`).
 *
 * The renderer and preload import this file with `import type` only (no zod in their bundles); the
 * runtime list of names is `operations.ts`.
 */

/** A reference to one of the caller's connections: id, label, or service id when it has only one. */
const ConnectionRef = z.string().min(1).max(200);
const Empty = z.strictObject({});
const Label = z.string().min(1).max(80);
const Scopes = z.array(z.string().min(1).max(200)).max(100);
const StringMap = z.record(z.string().max(64), z.string().max(8192));

export const TestOutcomeSchema = z.object({
  status: z.enum(['ok', 'rejected', 'missing_scope', 'unreachable', 'unexpected', 'untestable']),
  message: z.string(),
  elapsedMs: z.number(),
  statusCode: z.number().optional(),
  account: z.string().optional(),
});
export type TestOutcome = z.infer<typeof TestOutcomeSchema>;

/** A field the add form asks for (besides the main secret). Secret fields go in `secretFields`. */
export const ServiceFieldSummarySchema = z.object({
  name: z.string(),
  label: z.string(),
  secret: z.boolean(),
  required: z.boolean(),
  kind: z.enum(['string', 'url', 'host', 'port', 'email', 'enum']),
  options: z.array(z.string()).nullable(),
  default: z.string().nullable(),
  help: z.string().nullable(),
});

/**
 * How to register Sophon at an OAuth service by hand (the setup panel), and where its client comes from
 * now: `setting` (the person's), `distribution` (shipped with the app), `registered` (Sophon registered
 * itself earlier), `dynamic` (Sophon will try to register itself at the issuer), `none` (set it up first).
 * Never a secret: `clientSecretSet` only says whether one is stored.
 */
export const OAuthSetupViewSchema = z.object({
  client: z.enum(['setting', 'distribution', 'registered', 'dynamic', 'none']),
  consoleUrl: z.string().nullable(),
  appType: z.string().nullable(),
  redirect: z.enum(['loopback', 'loopback-automatic', 'loopback-fixed-port']),
  redirectUris: z.array(z.string()),
  steps: z.array(z.string()),
  scopes: z.array(z.string()),
  secretRequired: z.boolean(),
  clientSecretSet: z.boolean(),
  deviceFlow: z.boolean(),
  verified: z.string().nullable(),
});
export type OAuthSetupView = z.infer<typeof OAuthSetupViewSchema>;

/** A service of the catalog, as the "Add connection" screen needs it. */
export const ServiceSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  group: z.string(),
  description: z.string(),
  authMethod: z.enum(AUTH_METHODS),
  /** Label of the main secret ("API key", "Personal access token"); null when the method takes none (oauth2, none). */
  secretLabel: z.string().nullable(),
  defaultScopes: z.array(z.string()),
  fields: z.array(ServiceFieldSummarySchema),
  /** Runs on this machine or the local network (Ollama). */
  local: z.boolean(),
  /** OAuth services: whether a client is there to sign in as (a setting, the distribution file, or an earlier registration). */
  oauthClientConfigured: z.boolean().nullable(),
  /** OAuth services: the guided setup's facts; null for other methods. */
  oauthSetup: OAuthSetupViewSchema.nullable(),
  /** Where the service comes from: built in, or a connector file in SOPHON_HOME/connectors. */
  source: z.enum(['builtin', 'connector']),
  docsUrl: z.string().nullable(),
});
export type ServiceSummary = z.infer<typeof ServiceSummarySchema>;

export const VaultStatusSchema = z.object({
  home: z.string(),
  vaultDir: z.string(),
  provider: z.string(),
  keyProtector: z.object({ kind: z.string(), keyId: z.string().nullable(), location: z.string().nullable(), reachable: z.boolean() }),
  /** The master key's age (no secret): when it was made and last rotated, and the rotation reminder when it is due. */
  key: z
    .object({
      createdAt: z.string().nullable(),
      rotatedAt: z.string().nullable(),
      ageDays: z.number().nullable(),
      rotationInProgress: z.boolean(),
      reminder: z.string().nullable(),
    })
    .optional(),
  credentials: z.number(),
  problems: z.array(z.string()),
  /** Where Sophon's log is (SOPHON_HOME/logs/sophon.log): a path, never log content. */
  logFile: z.string(),
});

export const VaultVerifySchema = z.object({
  total: z.number(),
  ok: z.number(),
  failures: z.array(z.object({ userId: z.string(), connectionId: z.string(), file: z.string(), code: z.string(), problem: z.string() })),
  strays: z.array(z.string()),
  /** Credential files with no connection in sophon.db: kept, and `sophon vault recover` lists them again. */
  unlisted: z.array(z.object({ userId: z.string(), connectionId: z.string() })),
  tempsRemoved: z.array(z.string()),
});

/** `sophon audit verify --json`: the audit trail's hash chain walked, and its end checked against the signed head. */
export const AuditVerifySchema = z.object({
  ok: z.boolean(),
  rows: z.number(),
  lastId: z.number().nullable(),
  lastHash: z.string(),
  head: z.object({ state: z.enum(['verified', 'unavailable', 'missing', 'other_key', 'forged']), rowId: z.number().nullable(), detail: z.string().nullable() }),
  break: z.object({ kind: z.enum(['edited', 'deleted', 'inserted', 'reordered', 'truncated', 'head_mismatch']), rowId: z.number(), message: z.string() }).nullable(),
});

/** Issue 17: what a restore does (or would do), item by item, as `sophon vault restore --json` prints it. */
const RestoreAction = z.enum(['add', 'replace', 'keep', 'same']);
export const RestoreReportSchema = z.object({
  mode: z.enum(['merge', 'replace']),
  applied: z.boolean(),
  connections: z.array(
    z.object({ id: z.string(), userId: z.string(), serviceId: z.string(), label: z.string(), action: z.enum(['add', 'replace', 'keep']), note: z.string().nullable(), linked: z.boolean() }),
  ),
  systemSecrets: z.array(z.object({ name: z.string(), action: RestoreAction, note: z.string().nullable() })),
  oauthClients: z.array(z.object({ serviceId: z.string(), clientId: z.string(), action: RestoreAction, note: z.string().nullable() })),
  connectors: z.array(z.object({ file: z.string(), serviceId: z.string().nullable(), action: RestoreAction, note: z.string().nullable() })),
});

/** Scheduled backups (`Sophon.Backup`): where, how many, how often; never the passphrase or its key. */
export const BackupScheduleSchema = z.object({
  folder: z.string(),
  keep: z.number(),
  everyHours: z.number(),
  lastBackupAt: z.string().nullable(),
  nextDueAt: z.string(),
  files: z.array(z.string()),
  /** Why the folder cannot be listed, or null. */
  folderProblem: z.string().nullable(),
});

/** How the last scheduled backup went (SOPHON_HOME/backup-last-run.json): a time, a file, an error's code and message. */
const BackupRunBy = { at: z.string(), by: z.enum(BACKUP_RUNNERS), trigger: z.enum(BACKUP_TRIGGERS) };
export const BackupLastRunSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), ...BackupRunBy, file: z.string() }),
  z.object({ status: z.literal('failed'), ...BackupRunBy, error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ status: z.literal('unknown'), problem: z.string() }),
]) satisfies z.ZodType<BackupLastRun>;

/** A backup passphrase typed by the person: it travels inward only, like a connection's secret. */
const BackupPassphrase = z.string().min(12, 'use at least 12 characters').max(1024);
const AbsolutePath = z.string().min(1).max(4096).regex(/^(\/|[A-Za-z]:[\\/])/, 'must be an absolute path');

/** The non-secret settings. OAuth client secrets are write-only: `clientSecretSet` says whether one is stored. */
export const SettingsViewSchema = z.object({
  settingsFile: z.string(),
  vault: z.object({ provider: z.string(), keyProtector: z.string(), keychainService: z.string() }),
  oauthClients: z.record(z.string(), z.object({ clientId: z.string(), clientSecretSet: z.boolean() })),
  /** `Sophon.Broker`: the proxy's port and limits (no secret in it). */
  broker: z.object({
    tokenTtlSeconds: z.number(),
    port: z.number(),
    maxRequestBytes: z.number(),
    maxResponseBytes: z.number(),
    reauthWaitSeconds: z.number(),
    chooseWaitSeconds: z.number(),
    workers: z.number(),
    upstreamTimeoutSeconds: z.number(),
  }),
  /** Where Sophon's log is (SOPHON_HOME/logs/sophon.log): a path, never log content. */
  logFile: z.string(),
  /** `Sophon.Ui.Theme`: the windows' look, the same for the app and the dashboard. */
  ui: z.object({ theme: z.enum(THEMES) }),
});

/** A login another program holds (gh, Claude Code, Codex, an env variable), as the importer shows it: never its secret. */
export const LoginViewSchema = z.object({
  key: z.string(),
  source: z.string(),
  sourceName: z.string(),
  store: z.string(),
  storage: z.string(),
  serviceId: z.string(),
  account: z.string().nullable(),
  host: z.string().nullable(),
  plan: z.string().nullable(),
  scopes: z.array(z.string()),
  expiresAt: z.string().nullable(),
  expired: z.boolean(),
  /** linked: Sophon re-reads the owner's store each time; copy: a copy in the vault. */
  mode: z.enum(['linked', 'copy']),
  copyAllowed: z.boolean(),
  /** Why the broker will never attach it to requests, else null. */
  brokerPolicy: z.string().nullable(),
  warnings: z.array(z.string()),
  /** The connection it was imported as, or null. */
  importedAs: z.string().nullable(),
});
export type LoginView = z.infer<typeof LoginViewSchema>;

export const SourceReportSchema = z.object({ source: z.string(), status: z.enum(['ok', 'missing', 'error']), messages: z.array(z.string()) });

const ServiceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'must be a service id (lowercase letters, digits, "-")');
const IsoTime = z.iso.datetime({ offset: true });
/** A skill or tool name as a broker token is bound to (the broker's own rule, checked before anyone is asked). */
/** What an MCP agent may do with calls that change things (anything but GET/HEAD, or a skill tool that may write). */
export const AGENT_WRITE_POLICIES = ['allow', 'ask', 'deny'] as const;
const AgentId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be an agent id: 1-64 lowercase letters, digits, ".", "_" or "-"');
/** An MCP agent and its policy (`sophon mcp agents`). `connections: null`: every connection of the user. */
export const AgentPolicySchema = z.object({
  agent: z.string(),
  clientName: z.string().nullable(),
  connections: z.array(z.string()).nullable(),
  writes: z.enum(AGENT_WRITE_POLICIES),
  createdAt: z.string(),
  lastSeenAt: z.string().nullable(),
});
const SkillName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'must be 1-64 letters, digits, ".", "_" or "-"');

/** One connection a person may pick for a skill's call (never a secret: not even the secretHint). */
export const ConnectionOptionSchema = z.object({ id: z.string(), label: z.string(), account: z.string().nullable(), state: ConnectionStateSchema });
export type ConnectionOption = z.infer<typeof ConnectionOptionSchema>;

/** A question to the person: which of these connections skill S may use for tool T (event `connection.choose`). */
export const ConnectionChoiceSchema = z.object({
  request: z.string(),
  phase: z.enum(['open', 'closed']),
  skill: z.string(),
  tool: z.string(),
  serviceId: z.string(),
  serviceName: z.string(),
  options: z.array(ConnectionOptionSchema),
  expiresAt: z.string(),
});

/**
 * A call of an MCP agent that waits for the person's approval in the app (its client cannot ask them; event
 * `agent.approval`): what would be sent — method, host, path, a summary of the body (its size or field
 * names, never a value) — or, for a skill tool, what it runs. Never a secret, never a query's values.
 */
export const AgentApprovalSchema = z.object({
  request: z.string(),
  phase: z.enum(['open', 'closed']),
  agent: z.string(),
  tool: z.string(),
  /** One line: `POST api.github.com/repos/x/y/issues`, or `run notes__append`. */
  summary: z.string(),
  connection: z.object({ id: z.string(), label: z.string(), serviceId: z.string() }).nullable(),
  method: z.string().nullable(),
  host: z.string().nullable(),
  path: z.string().nullable(),
  /** The request had a query (its values are not shown). */
  hasQuery: z.boolean(),
  body: z.string(),
  expiresAt: z.string(),
});

export const MCP_CLIENT_IDS = ['claude-code', 'claude-desktop', 'codex', 'cursor', 'vscode'] as const;

/** The MCP HTTP server the app (or dashboard) runs: the setting, and whether it listens now. */
export const McpHttpStatusSchema = z.object({
  /** Sophon.Mcp.Http.Enabled: started with the app. */
  enabled: z.boolean(),
  running: z.boolean(),
  /** `http://127.0.0.1:PORT/mcp` while it runs. */
  url: z.string().nullable(),
  port: z.number().nullable(),
  /** Why it is not running although enabled (a port in use), else null. */
  problem: z.string().nullable(),
});

/** Every operation: name → input and output schema. Keys are exactly OPERATION_NAMES. */
export const OPERATIONS = {
  /** Who the caller is: the token's (or the desktop app's) user, and whether it is an admin. */
  'session.info': { input: Empty, output: z.object({ userId: z.string(), isAdmin: z.boolean() }) },
  'services.list': {
    input: Empty,
    output: z.object({ services: z.array(ServiceSummarySchema), connectorProblems: z.array(z.object({ file: z.string(), message: z.string() })) }),
  },
  /**
   * Admins only. "Connect by URL": writes a connector for an OAuth issuer (`kind: issuer`) or for an API
   * that publishes protected resource metadata (`kind: api`, RFC 9728), as `sophon connect add --issuer/--url`
   * does, and returns the new service; `connections.add` then signs in to it.
   */
  'services.discover': {
    input: z.strictObject({ url: z.string().min(1).max(2000), kind: z.enum(['issuer', 'api']), id: ServiceId.optional() }),
    output: z.object({ service: ServiceSummarySchema }),
  },
  /**
   * Admins only. The guided setup's last step: the client registered at the service's console becomes
   * `Sophon.OAuth.<service>`; `clientSecret` (write-only) goes into the vault. Returns the service as now seen.
   */
  'oauth.setup': {
    input: z.strictObject({ serviceId: ServiceId, clientId: z.string().min(1).max(500), clientSecret: z.string().min(1).max(500).optional() }),
    output: z.object({ service: ServiceSummarySchema }),
  },
  'connections.list': { input: Empty, output: z.object({ connections: z.array(ConnectionSchema) }) },
  'connections.get': { input: z.strictObject({ connection: ConnectionRef }), output: z.object({ connection: ConnectionSchema }) },
  /**
   * Connect a service. API-key style: `secret` (and `secretFields` for secret form fields). OAuth: the
   * server/main starts the browser sign-in, emits `oauth.progress`, and resolves when the redirect
   * arrives (or the sign-in times out). `test: false` stores untested.
   */
  'connections.add': {
    input: z.strictObject({
      serviceId: ServiceId,
      label: Label.optional(),
      secret: z.string().min(1).max(16_384).optional(),
      fields: StringMap.optional(),
      secretFields: StringMap.optional(),
      scopes: Scopes.optional(),
      test: z.boolean().optional(),
      /** OAuth: sign in with a device code (RFC 8628) shown in `oauth.progress`, instead of a browser on this machine. */
      device: z.boolean().optional(),
    }),
    output: z.object({ connection: ConnectionSchema, test: TestOutcomeSchema.nullable() }),
  },
  'connections.test': { input: z.strictObject({ connection: ConnectionRef }), output: z.object({ connection: ConnectionSchema, outcome: TestOutcomeSchema }) },
  'connections.reauth': { input: z.strictObject({ connection: ConnectionRef, scopes: Scopes.optional(), device: z.boolean().optional() }), output: z.object({ connection: ConnectionSchema }) },
  /** Replace the secret of a key-based connection in place (a rotated key): id, label and history stay. Tested first unless `test: false`. */
  'connections.update': {
    input: z.strictObject({ connection: ConnectionRef, secret: z.string().min(1).max(16_384), test: z.boolean().optional() }),
    output: z.object({ connection: ConnectionSchema, test: TestOutcomeSchema.nullable() }),
  },
  'connections.rename': { input: z.strictObject({ connection: ConnectionRef, label: Label }), output: z.object({ connection: ConnectionSchema }) },
  'connections.remove': {
    input: z.strictObject({ connection: ConnectionRef }),
    output: z.object({ connection: ConnectionSchema, revocation: z.enum(['not_applicable', 'revoked', 'failed']), revocationMessage: z.string().nullable() }),
  },
  'connections.refresh': { input: z.strictObject({ connection: ConnectionRef }), output: z.object({ connection: ConnectionSchema }) },
  /** CLI logins on this machine the importer can use (each store is only read). */
  'imports.scan': { input: Empty, output: z.object({ logins: z.array(LoginViewSchema), sources: z.array(SourceReportSchema) }) },
  /** Imports the logins with these keys (from imports.scan); `copy` stores a copy where the source allows it, instead of linking. */
  'imports.run': {
    input: z.strictObject({ keys: z.array(z.string().min(1).max(300)).min(1).max(100), copy: z.boolean().optional() }),
    output: z.object({
      imported: z.array(z.object({ key: z.string(), connectionId: z.string(), mode: z.enum(['linked', 'copy']) })),
      skipped: z.array(z.object({ key: z.string(), reason: z.string() })),
    }),
  },
  /**
   * The audit trail, newest first. `userId` other than the caller's: admins only. `connection` is an id
   * or label (a removed connection's id still finds its history). `total` counts every matching row.
   */
  'audit.query': {
    input: z.strictObject({
      connection: ConnectionRef.optional(),
      skill: z.string().min(1).max(200).optional(),
      userId: z.string().min(1).max(64).optional(),
      action: z.string().min(1).max(40).optional(),
      since: IsoTime.optional(),
      until: IsoTime.optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      offset: z.number().int().min(0).max(10_000_000).optional(),
    }),
    output: z.object({ rows: z.array(AuditRowSchema), total: z.number() }),
  },
  /** As `sophon vault status --json`. Admins only (it covers every user's credentials). */
  'vault.status': { input: Empty, output: VaultStatusSchema },
  /** As `sophon vault verify --json`. Admins only. */
  'vault.verify': { input: Empty, output: VaultVerifySchema },
  /** As `sophon audit verify --json`. Admins only (the trail holds every user's rows). */
  'audit.verify': { input: Empty, output: AuditVerifySchema },
  'settings.get': { input: Empty, output: z.object({ settings: SettingsViewSchema }) },
  /**
   * Admins only. Sets (or, with `clientId: null`, removes) the OAuth client Sophon is registered as at
   * a service. `clientSecret` is write-only: never returned. `ui.theme` sets the windows' look.
   */
  'settings.set': {
    input: z.strictObject({
      oauthClients: z.record(ServiceId, z.strictObject({ clientId: z.string().min(1).max(500).nullable(), clientSecret: z.string().min(1).max(500).optional() })).optional(),
      ui: z.strictObject({ theme: z.enum(THEMES) }).optional(),
    }),
    output: z.object({ settings: SettingsViewSchema }),
  },
  /** Admins only: which connections exist, for every user — metadata only (no secretHint), never credentials. */
  'admin.connections': { input: Empty, output: z.object({ connections: z.array(ConnectionSchema) }) },
  /**
   * A broker token for one skill's tool call, as `sophon broker mint` makes it (same checks, same audit
   * rows), bound to one connection: named by `connection`, or by `service` — used directly when the
   * caller has one connection of it; with several, the person is asked in the app (`connection.choose`,
   * answered by `broker.choose`) and this waits for the answer (bounded: `Sophon.Broker.ChooseWaitSeconds`,
   * default 120). Never a silent guess: with no app open to ask, or no answer in time, it is refused as
   * `ambiguous` naming the choices; a cancel is refused as `forbidden`. `chosenBy` says how the connection
   * was decided. `brokerUrl` is the proxy this door runs, or null (`sophon broker serve` runs one).
   */
  'broker.mint': {
    input: z
      .strictObject({
        skill: SkillName,
        tool: SkillName,
        service: ServiceId.optional(),
        connection: ConnectionRef.optional(),
        scopes: Scopes.optional(),
        ttlSeconds: z.number().int().min(1).max(86_400).optional(),
      })
      .refine((i) => (i.service === undefined) !== (i.connection === undefined), { message: 'name either a service or a connection (one of them)', path: ['service'] }),
    output: z.object({
      token: z.string(),
      id: z.string(),
      skill: z.string(),
      tool: z.string(),
      connectionId: z.string(),
      serviceId: z.string(),
      scopes: z.array(z.string()),
      allowedHosts: z.array(z.string()),
      expiresAt: z.string(),
      chosenBy: z.enum(['caller', 'only', 'person']),
      brokerUrl: z.string().nullable(),
    }),
  },
  /** The person's answer to a `connection.choose` of their own: a connection among its options, or null to refuse the call. */
  'broker.choose': {
    input: z.strictObject({ request: z.string().min(1).max(100), connection: z.string().min(1).max(200).nullable() }),
    output: z.object({ request: z.string(), outcome: z.enum(['picked', 'cancelled']) }),
  },
  /** The caller's questions still open (a window opened after a question was asked shows it from here). */
  'broker.questions': { input: Empty, output: z.object({ questions: z.array(ConnectionChoiceSchema) }) },
  /** The caller's MCP agents (every client seen, or named by a policy) and what each may do, as `sophon mcp agents --json`. */
  'agents.list': { input: Empty, output: z.object({ agents: z.array(AgentPolicySchema) }) },
  /**
   * Changes what one of the caller's MCP agents may do, as `sophon mcp policy` (creating the agent if it has
   * not connected yet): `connections` (ids or labels; null = every connection) and/or `writes`. Running
   * sessions follow it at their next call.
   */
  'agents.setPolicy': {
    input: z
      .strictObject({
        agent: AgentId,
        connections: z.array(ConnectionRef).max(200).nullable().optional(),
        writes: z.enum(AGENT_WRITE_POLICIES).optional(),
      })
      .refine((i) => i.connections !== undefined || i.writes !== undefined, { message: 'give connections and/or writes', path: ['connections'] }),
    output: z.object({ agent: AgentPolicySchema }),
  },
  /** The caller's MCP calls waiting for their approval (a window opened after one was asked shows it from here). */
  'agents.approvals': { input: Empty, output: z.object({ approvals: z.array(AgentApprovalSchema) }) },
  /** The person's answer to an `agent.approval` of their own: approve sends the call, decline refuses it (the agent gets write_declined). */
  'agents.approve': {
    input: z.strictObject({ request: z.string().min(1).max(100), approve: z.boolean() }),
    output: z.object({ request: z.string(), outcome: z.enum(['approved', 'declined']) }),
  },
  /** The caller's bearer tokens for the MCP HTTP door (ids and agents; never a token), as `sophon mcp token list`. */
  'agents.tokens': { input: Empty, output: z.object({ tokens: z.array(z.object({ id: z.string(), agent: z.string(), createdAt: z.string() })) }) },
  /**
   * A bearer token for the MCP HTTP door standing for one agent of the caller (the agent gets the default policy
   * if new), as `sophon mcp token create`. The token is returned this once; Sophon keeps its SHA-256. It opens
   * only the MCP door, for the caller's own connections through the agent's policy.
   */
  'agents.createToken': {
    input: z.strictObject({ agent: AgentId }),
    output: z.object({ token: z.string(), id: z.string(), agent: z.string(), createdAt: z.string() }),
  },
  /** Revokes one of the caller's MCP tokens; its open sessions end. */
  'agents.revokeToken': { input: z.strictObject({ id: z.string().min(1).max(100) }), output: z.object({ id: z.string() }) },
  /**
   * Adds Sophon to (or, with `uninstall`, removes it from) an MCP client's configuration on this machine, as
   * `sophon mcp install|uninstall --client`. `dryRun` shows the change and writes nothing. Only the user this
   * Sophon runs as (the files are theirs).
   */
  'agents.install': {
    input: z.strictObject({ client: z.enum(MCP_CLIENT_IDS), dryRun: z.boolean().optional(), uninstall: z.boolean().optional() }),
    output: z.object({
      client: z.enum(MCP_CLIENT_IDS),
      clientName: z.string(),
      file: z.string(),
      action: z.enum(['created', 'updated', 'removed', 'unchanged']),
      dryRun: z.boolean(),
      /** Sophon's entry as written (install): the program, its arguments, its environment (paths; no secret). */
      entry: z.record(z.string(), z.unknown()).nullable(),
      backup: z.string().nullable(),
      note: z.string(),
    }),
  },
  /** Whether this door runs the MCP HTTP server (Sophon.Mcp.Http), and at which address. */
  'agents.httpServer': { input: Empty, output: McpHttpStatusSchema },
  /** Starts or stops the MCP HTTP server and saves the choice (Sophon.Mcp.Http.Enabled; its port is kept in Sophon.Mcp.Http.Port). Only the user this Sophon runs as. */
  'agents.setHttpServer': { input: z.strictObject({ enabled: z.boolean() }), output: McpHttpStatusSchema },
  /**
   * Issue 17. Admins only (a backup holds every user's credentials). Writes a new backup file into
   * `folder`. `passphrase: null` generates a recovery phrase, returned once as `recoveryPhrase` for the
   * printable recovery kit: the one secret that goes outward, since the person must write it down
   * (docs/security.md); it is never stored.
   */
  'vault.backup': {
    input: z.strictObject({ folder: AbsolutePath, passphrase: BackupPassphrase.nullable() }),
    output: z.object({
      file: z.string(),
      connections: z.number(),
      linked: z.number(),
      systemSecrets: z.number(),
      bytes: z.number(),
      createdAt: z.string(),
      keyId: z.string().nullable(),
      recoveryPhrase: z.string().nullable(),
    }),
  },
  /** Admins only. Checks a backup and plans its restore (`apply: false`: changes nothing), or restores it all or nothing. */
  'vault.restore': {
    input: z.strictObject({ file: AbsolutePath, passphrase: z.string().min(1).max(1024), mode: z.enum(['merge', 'replace']), apply: z.boolean() }),
    output: RestoreReportSchema,
  },
  /** Admins only. As `sophon vault rotate-key [--to P]`: a new master key, every file re-sealed, the old key retired. */
  'vault.rotateKey': {
    input: z.strictObject({ to: z.string().min(1).max(40).optional() }),
    output: z.object({
      from: z.object({ keyId: z.string(), protector: z.string() }),
      to: z.object({ keyId: z.string(), protector: z.string() }),
      resumed: z.boolean(),
      resealed: z.number(),
      alreadyNew: z.number(),
      unreadable: z.array(z.object({ file: z.string(), problem: z.string() })),
      oldKeyRemoved: z.boolean(),
    }),
  },
  /** Admins only. The backup schedule, or null when none is set, and how its last run went (null: none recorded). */
  'vault.backupSchedule': { input: Empty, output: z.object({ schedule: BackupScheduleSchema.nullable(), lastRun: BackupLastRunSchema.nullable() }) },
  /**
   * Admins only. Sets the schedule (the passphrase is turned into a key at once and only that key is
   * kept; `passphrase: null` generates a recovery phrase, returned once) or, with `schedule: null`, stops it.
   */
  'vault.setBackupSchedule': {
    input: z.strictObject({
      schedule: z
        .strictObject({ folder: AbsolutePath, keep: z.number().int().min(1).max(1000), everyHours: z.number().min(0.01).max(24 * 366), passphrase: BackupPassphrase.nullable() })
        .nullable(),
    }),
    output: z.object({ schedule: BackupScheduleSchema.nullable(), recoveryPhrase: z.string().nullable() }),
  },
  /**
   * Admins only. Runs the scheduled backup now, due or not (the Vault page's Run now). A run that fails is
   * an answer, not an error: `lastRun` says why, as it will until the next run. No schedule: `not_found`.
   */
  'vault.runBackupSchedule': {
    input: Empty,
    output: z.object({ schedule: BackupScheduleSchema.nullable(), lastRun: BackupLastRunSchema.nullable(), removed: z.array(z.string()) }),
  },
} as const satisfies Record<OperationName, { input: z.ZodType; output: z.ZodType }>;

/** Events pushed to the UI. Each reaches only the user it concerns. */
export const EVENTS = {
  /** Any change of the caller's connections (added, removed, state flips — also by another process). */
  'connections.changed': z.object({ connections: z.array(ConnectionSchema) }),
  /**
   * An OAuth sign-in started by `connections.add` / `connections.reauth`: `waiting` carries the address
   * to open (the app also opens it in the system browser), or for a device sign-in the code and where to
   * type it (`device`); then `completed` or `failed` (with a message).
   */
  'oauth.progress': z.object({
    serviceId: z.string(),
    connectionId: z.string().nullable(),
    authorizationUrl: z.string(),
    phase: z.enum(['waiting', 'completed', 'failed']),
    message: z.string().nullable(),
    /**
     * A device sign-in (RFC 8628): the code to type at `verificationUri` before `expiresAt`. Neither is a
     * secret (the device code that polls for the token never leaves the core).
     */
    device: z
      .object({ userCode: z.string(), verificationUri: z.string(), verificationUriComplete: z.string().nullable(), expiresAt: z.string() })
      .nullable()
      .optional(),
  }),
  /**
   * A skill's call (`broker.mint` naming a service) found several of the person's connections of it:
   * `open` asks which one (answer with `broker.choose` before `expiresAt`); `closed` when it was answered
   * (in any window), cancelled or timed out, so every window drops the question.
   */
  'connection.choose': ConnectionChoiceSchema,
  /**
   * An MCP agent's call needs the person's approval and its client cannot ask them: `open` asks (answer with
   * `agents.approve` before `expiresAt`); `closed` once answered (in any window), timed out or abandoned.
   */
  'agent.approval': AgentApprovalSchema,
} as const satisfies Record<EventName, z.ZodType>;

export type In<K extends OperationName> = z.input<(typeof OPERATIONS)[K]['input']>;
export type Out<K extends OperationName> = z.output<(typeof OPERATIONS)[K]['output']>;
export type EventPayload<K extends EventName> = z.output<(typeof EVENTS)[K]>;

export const ErrorInfoSchema = z.object({ code: z.enum(ErrorCodes), message: z.string() });

/** What every transport returns for an operation. */
export type Envelope<T = unknown> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };
export const EnvelopeSchema = z.union([z.object({ ok: z.literal(true), value: z.unknown() }), z.object({ ok: z.literal(false), error: ErrorInfoSchema })]);

/** The whole API as the UI sees it: one async function per operation. */
export type SophonApi = { [K in OperationName]: (input: In<K>) => Promise<Out<K>> };

/** The shape the preload exposes as `window.sophon`. */
export type SophonBridge = { [K in OperationName]: (input: In<K>) => Promise<Envelope<Out<K>>> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

export type { OperationName, EventName } from './operations';
