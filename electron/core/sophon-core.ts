import { AuditHeadStore } from './audit/audit-head';
import { AuditLog } from './audit/audit-log';
import type { ServiceDefinition } from './catalog/schema';
import { ConnectionService, type CatalogView, type ConnectionTester, type ReconcileReport, type RecoverReport, type Revoker } from './connections/connection-service';
import { ConnectionStore } from './connections/connection-store';
import { oauthClientFor } from './connections/oauth-connect';
import { isReadOnly, openDatabase, walCheckpoints, type Database, type WalCheckpoints } from './db/database';
import { distributionClientsFile } from './config/distribution-clients';
import { migrateOAuthClientSecrets } from './config/oauth-clients';
import { errnoOf, SophonError } from './errors';
import type { ImportService } from './import/importer';
import { isLinked } from './import/linked';
import type { OAuthRefresher } from './oauth/refresh';
import { Credentials, refreshStore } from './credentials';
import type { CredentialRef } from './vault/credential';
import { openVault, type OpenedVault, type OpenVaultOptions } from './vault/open-vault';
import { SystemSecrets } from './vault/system-secrets';
import { configureLog, logFailure } from './log/log';
import { authMethodName, withArticle } from '../../shared/auth-names';
import type { Connection } from '../../shared/connections';
import type { AuditVerifyReport } from './audit/audit-verify';
import type { BackupBody, BackupSummary, RestoreMode, RestoreReport } from './backup/backup';
import type { SealOptions } from './backup/backup-format';
import type { BackupSchedule, ScheduleChange, ScheduledRun } from './backup/schedule';
import type { CreateBrokerOptions, CreatedBroker } from './broker';
import { BrokerTokens } from './broker/token-store';
import type { Settings } from './config/settings';
import type { SophonPaths } from './config/paths';
import type { KeyProtector } from './keys/key-protector';
import type { MasterKeyStore } from './keys/master-key';
import { AgentPolicies } from './mcp/agent-store';
import type { VerifyReport } from './vault/local-vault';
import type { VaultStatus } from './vault/vault-status';
import { rememberCredential } from './log/known-secrets';

/**
 * What every door (CLI, app, REST server, MCP server) is handed: services only. No database handle,
 * no store, no vault backend: a door asks a service, and SQL stays in the stores.
 */
export interface Core {
  /** Where this home's files are, and its settings (read once, on opening). */
  paths: SophonPaths;
  settings: Settings;
  /** The vault key and what protects it (keychain, file, PKCS#11). */
  protector: KeyProtector;
  keys: MasterKeyStore;
  connections: ConnectionService;
  audit: AuditLog;
  /** The one place a credential is resolved (fresh, linked, or after a re-auth): every door asks it. */
  credentials: Credentials;
  /** Refreshes an OAuth connection now; `force` refreshes even a fresh token and skips the cooldown. */
  refresh(ref: CredentialRef, options?: { force?: boolean }): Promise<void>;
  /** A manual refresh of one connection (by id or label): OAuth connections only; its state after. */
  refreshConnection(userId: string, ref: string): Promise<Connection>;
  /** `vault status`: what protects the vault and whether its key can be reached. */
  vaultStatus(): Promise<VaultStatus>;
  /** `vault verify`: opens every credential file (sophon.db tells listed from unlisted files). */
  verifyVault(): Promise<VerifyReport>;
  /** `audit verify`: the hash chain and its signed head. */
  verifyAudit(): Promise<AuditVerifyReport>;
  /** Broker tokens (sophon.db): minted, checked and revoked. */
  brokerTokens(): BrokerTokens;
  /** A broker over this core: its tokens, connections, credentials and (batched) audit trail. */
  createBroker(options: CreateBrokerOptions): Promise<CreatedBroker>;
  /** One user's MCP agent policies. */
  agentPolicies(userId: string): AgentPolicies;
  /** WAL checkpoints of this process's sophon.db connection (`broker serve` moves them to a worker). */
  walCheckpoints: WalCheckpoints;
  /** Backups of every connection, sealed with a passphrase, and restores from them. */
  backup: BackupService;
  /** Secrets Sophon holds for itself (OAuth client secrets), apart from every connection's. */
  systemSecrets: SystemSecrets;
  /** The distribution file of shipped OAuth clients (config/distribution-clients.ts), or null: where a client may come from. */
  oauthDistributionFile: string | null;
  /** Problems found on opening that did not stop it (a door shows them: stderr, the app's log). */
  warnings: string[];
  /** Logins other programs hold (gh, Claude Code, Codex, environment): loaded on first use. */
  imports(): Promise<ImportService>;
  /** What the start-up check between sophon.db and the vault found and did. */
  startup: ReconcileReport;
  /** Set when this open listed connections again from the vault (see `recoverOnStart`). */
  recovered: RecoverReport | null;
  close(): void;
}

/** Backup and restore over the open core (backup/backup.ts has the format and the rules). */
export interface BackupService {
  collect(): Promise<BackupBody>;
  write(out: string, passphrase: string | null, seal?: SealOptions): Promise<BackupSummary>;
  plan(body: BackupBody, mode: RestoreMode): Promise<RestoreReport>;
  apply(body: BackupBody, plan: RestoreReport): Promise<RestoreReport>;
  /** Scheduled backups (backup/schedule.ts): the schedule in the settings, set with a passphrase, run when due. */
  schedule(): Promise<BackupSchedule | null>;
  setSchedule(change: ScheduleChange | null): Promise<BackupSchedule | null>;
  runScheduled(options?: { force?: boolean }): Promise<ScheduledRun>;
}

/** What tests of the composition itself may look at (sophon.db, the vault backend); no door takes it. */
export interface CoreInternals {
  db: Database;
  store: ConnectionStore;
  vault: OpenedVault['vault'];
}

const ROLLED_BACK = 'Its vault file is an older copy than the one Sophon last wrote (put back from a backup?): restore the newer file, or remove the connection and add it again.';

export interface CreateCoreOptions extends OpenVaultOptions {
  /** Stand-ins are for tests of this composition only; every door passes nothing. */
  tester?: ConnectionTester;
  catalog?: (connectorsDir: string) => Promise<CatalogView>;
  /**
   * For commands that only read (`connect list`, `audit`): where SOPHON_HOME cannot be written, open
   * sophon.db read-only and skip the reconcile (which writes) instead of failing.
   */
  readOnlyFallback?: boolean;
  /**
   * The app: when sophon.db has no connections at all (missing, emptied or new) while vault files
   * exist, list them again from the vault. The CLI does not: it reports them (`vault verify`) and
   * leaves the choice to `sophon vault recover`.
   */
  recoverOnStart?: boolean;
}

/**
 * The one composition root every door (CLI, app, REST server) opens. Catalog, testers and the OAuth
 * client are loaded on first use, so a command that lists connections does not load them.
 */
export async function createCore(options: CreateCoreOptions = {}): Promise<Core> {
  return (await composeCore(options)).core;
}

/**
 * createCore, with the parts it is built from. For tests that inspect or plant storage on purpose
 * (test/helpers/internals.ts); the layering test checks that no door imports it.
 */
export async function composeCore(options: CreateCoreOptions = {}): Promise<{ core: Core; internals: CoreInternals }> {
  const opened = await openVault(options);
  // Where this process logs (the first home opened) and the level the settings ask for; nothing is opened yet.
  configureLog({ home: opened.paths.home, setting: opened.settings.Sophon.Log?.Level });
  const db = await openDatabase(opened.paths.database, undefined, { readOnlyFallback: options.readOnlyFallback });
  // The chain's head is signed only by a process that has the vault key loaded anyway (the broker, a
  // command that used a credential): loading it just for this would make `connect list` touch the keychain.
  const auditHead = new AuditHeadStore(opened.paths.securityDir);
  const audit = new AuditLog(db, { store: auditHead, key: () => opened.keys.peek() });
  const store = new ConnectionStore(db);
  // sophon.db keeps each credential's generation, so the vault can tell an older file put back.
  opened.vault.useIndex({
    generation: (ref) => store.vaultGeneration(ref.connectionId, ref.userId),
    noteGeneration: (ref, generation) => store.noteVaultGeneration(ref.connectionId, ref.userId, generation),
    describe: (ref) => {
      const r = store.get(ref.connectionId);
      if (!r || r.userId !== ref.userId) return null;
      return { serviceId: r.serviceId, label: r.label, authMethod: r.authMethod, fields: r.fields, scopes: r.scopes, createdAt: r.createdAt, secretHint: r.secretHint, account: r.account };
    },
    rolledBack: (ref) => {
      const r = store.get(ref.connectionId);
      if (!r || r.userId !== ref.userId || (r.state === 'error' && r.stateReason === ROLLED_BACK)) return;
      store.setState(r.id, 'error', ROLLED_BACK);
      audit.record({ userId: r.userId, action: 'reconcile', outcome: 'failed', connectionId: r.id, serviceId: r.serviceId, detail: 'vault file rolled back to an older copy' });
    },
  });
  const loadCatalog = options.catalog ?? (async (dir: string) => (await import('./catalog/catalog')).loadCatalog(dir));
  const tester: ConnectionTester = options.tester ?? (async (service, material) => (await import('./connections/tester')).testConnection(service, material));
  const systemSecrets = new SystemSecrets(opened.paths, (keyId) => opened.keys.keyFor(keyId));
  const warnings = await moveClientSecretsIntoVault(opened, systemSecrets);
  const oauthSources = {
    settings: opened.settings,
    settingsFile: opened.paths.settingsFile,
    configDir: opened.paths.configDir,
    distributionFile: distributionClientsFile(options.env ?? process.env),
    secrets: systemSecrets,
  };
  const oauthClient = (service: ServiceDefinition) => oauthClientFor(oauthSources, service);

  const revoker: Revoker = async (_record, service, credential) => {
    const oauth = service.auth.oauth;
    // An issuer's discovered metadata may name a revocation endpoint the connector does not.
    if (service.auth.method !== 'oauth2' || !oauth || (!oauth.revocationUrl && !oauth.issuer) || !credential) return 'not_applicable';
    const { revokeTokens } = await import('./oauth/revoke');
    const result = await revokeTokens(await oauthClient(service), { accessToken: credential.accessToken, refreshToken: credential.refreshToken });
    if (result.outcome === 'failed') throw new SophonError('unreachable', result.message ?? 'the service did not accept the revocation');
    return result.outcome;
  };

  let importService: Promise<ImportService> | undefined;
  const imports = (): Promise<ImportService> =>
    (importService ??= import('./import/importer').then(
      ({ ImportService }) => new ImportService({ store, audit, connections, service: (id) => connections.service(id), env: options.env }),
    ));

  // The refresher is loaded on first need: a command that lists connections never loads openid-client.
  let refresher: Promise<OAuthRefresher> | undefined;
  const credentials: Credentials = new Credentials({
    vault: opened.vault,
    connection: (id) => store.get(id),
    service: (id): Promise<ServiceDefinition> => connections.service(id),
    // Imported CLI logins: re-read from the program that owns them, never from the vault.
    linked: {
      isLinked: (record) => isLinked(record.fields),
      // Read from another program, not through the vault: the log is told of these secrets here.
      credential: async (record) => {
        const credential = await (await imports()).credential(record);
        rememberCredential(credential);
        return credential;
      },
    },
    refresher: () => (refresher ??= makeRefresher()),
    // A refresh brings a new expiry (and maybe fewer scopes); the connection row shows them.
    onRefreshed: (ref, credential) => {
      const record = store.get(ref.connectionId);
      if (record) store.updateGrant(record.id, { scopes: credential.scopes ?? record.scopes, expiresAt: credential.expiresAt ?? null, account: null });
    },
    onUsed: (record) => store.touchUsed(record.id),
  });

  const connections: ConnectionService = new ConnectionService({
    store,
    audit,
    vault: opened.vault,
    credentials,
    catalog: () => loadCatalog(opened.paths.connectorsDir),
    // Listing needs only names: built-in ones without building the catalog (a stand-in catalog answers itself).
    serviceNames: options.catalog ? undefined : async (ids) => (await import('./catalog/service-names')).serviceNames(opened.paths.connectorsDir, ids),
    tester,
    revoker,
    oauthClient,
    linked: { isLinked: (record) => isLinked(record.fields) },
  });

  const makeRefresher = async (): Promise<OAuthRefresher> => {
    const [{ createOAuthRefresher }, { needsRefresh }] = await Promise.all([import('./oauth/refresh'), import('./credentials/freshness')]);
    return createOAuthRefresher({
      store: refreshStore(opened.vault),
      needsRefresh,
      clientFor: async (ref: CredentialRef) => {
        const record = store.get(ref.connectionId);
        if (!record) throw new SophonError('not_found', `No connection ${ref.connectionId}.`);
        return oauthClient(await connections.service(record.serviceId));
      },
      onNeedsReauth: (ref, err) => {
        logFailure('refresh.needs_reauth', err, { connectionId: ref.connectionId, userId: ref.userId });
        store.setState(ref.connectionId, 'needs_reauth', err.message);
        audit.record({ userId: ref.userId, action: 'refresh', outcome: 'failed', connectionId: ref.connectionId, detail: `needs re-auth: ${err.message}` });
      },
      // OAuthError messages never quote a token (toOAuthError redacts them).
      onFailed: (ref, err) => {
        logFailure('refresh.failed', err, { connectionId: ref.connectionId, userId: ref.userId });
        audit.record({ userId: ref.userId, action: 'refresh', outcome: 'failed', connectionId: ref.connectionId, detail: err.message });
      },
      // Automatic refreshes (on use) too, and only the one process that really refreshed writes the row.
      onRefreshed: (ref, forced) => audit.record({ userId: ref.userId, action: 'refresh', outcome: 'ok', connectionId: ref.connectionId, detail: forced ? 'refreshed on schedule or by hand' : 'refreshed on use' }),
    });
  };

  // Read-only, the rows stay as they are: reconciling them with the vault folder is the next writer's job.
  const startup = isReadOnly(db) ? emptyReconcileReport() : await connections.reconcile();
  const recovered = options.recoverOnStart && !isReadOnly(db) && startup.unlisted.length > 0 && store.count() === 0 ? await connections.recover() : null;
  const refresh = async (ref: CredentialRef, options: { force?: boolean } = {}) => {
    await credentials.refresh(ref, options);
  };
  let tokens: BrokerTokens | undefined;
  const brokerTokens = (): BrokerTokens => (tokens ??= new BrokerTokens(db));
  const backupDeps = { store, vault: opened.vault, credentials, paths: opened.paths, settings: opened.settings, keys: opened.keys, systemSecrets, audit };
  const backup = (): Promise<typeof import('./backup/backup')> => import('./backup/backup');
  const schedule = (): Promise<typeof import('./backup/schedule')> => import('./backup/schedule');
  const core: Core = {
    paths: opened.paths,
    settings: opened.settings,
    protector: opened.protector,
    keys: opened.keys,
    audit,
    connections,
    credentials,
    systemSecrets,
    oauthDistributionFile: oauthSources.distributionFile,
    warnings,
    refresh,
    refreshConnection: async (userId, ref) => {
      const before = connections.resolve(userId, ref);
      if (before.authMethod !== 'oauth2') throw new SophonError('usage', `${before.label} has no token to refresh (it uses ${withArticle(authMethodName(before.authMethod))}).`);
      await refresh({ userId, connectionId: before.id }, { force: true });
      return connections.status(userId, before.id);
    },
    vaultStatus: async () => (await import('./vault/vault-status')).describeVault(opened),
    verifyVault: () => opened.vault.verify(),
    verifyAudit: () => audit.verify(opened.keys),
    brokerTokens,
    createBroker: async (brokerOptions) =>
      (await import('./broker')).createBroker(
        { settings: opened.settings, paths: opened.paths, connections, credentials, store, audit, tokens: brokerTokens(), db },
        brokerOptions,
      ),
    agentPolicies: (userId) => new AgentPolicies(db, userId),
    walCheckpoints: walCheckpoints(db),
    backup: {
      collect: async () => (await backup()).collectBackup(backupDeps),
      write: async (out, passphrase, seal) => (await backup()).writeBackup(backupDeps, out, passphrase, seal),
      plan: async (body, mode) => (await backup()).planRestore(backupDeps, body, mode),
      apply: async (body, plan) => (await backup()).applyRestore(backupDeps, body, plan),
      schedule: async () => (await schedule()).getSchedule(core),
      setSchedule: async (change) => {
        const s = await schedule();
        if (change) return s.setSchedule(core, change);
        await s.clearSchedule(core);
        return null;
      },
      runScheduled: async (options) => (await schedule()).runScheduledBackup(core, options),
    },
    imports,
    startup,
    recovered,
    close: () => {
      audit.flushHead();
      db.close();
    },
  };
  return { core, internals: { db, store, vault: opened.vault } };
}

/** Plaintext OAuth client secrets in appsettings.json go into the vault; a failure is a warning, never a lost secret. */
async function moveClientSecretsIntoVault(opened: OpenedVault, secrets: SystemSecrets): Promise<string[]> {
  try {
    return await migrateOAuthClientSecrets(opened.paths.settingsFile, opened.settings, secrets);
  } catch (err) {
    // Only the file could not be rewritten (the vault errors are warnings already): it still holds the secret.
    const why = errnoOf(err) ?? (err instanceof SophonError ? err.message : 'error');
    return [`The OAuth client secrets in ${opened.paths.settingsFile} could not be moved into the vault (${why}); they stay there in plain text until the next open.`];
  }
}

/** What a start-up reconcile that did not run (a read-only sophon.db) found: nothing. */
function emptyReconcileReport(): ReconcileReport {
  return { missingCredential: [], abandonedAdds: [], finishedRemovals: [], unlisted: [], migrated: [] };
}
