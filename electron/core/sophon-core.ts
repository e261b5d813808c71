import { AuditHeadStore } from './audit/audit-head';
import { AuditLog } from './audit/audit-log';
import type { ServiceDefinition } from './catalog/schema';
import { ConnectionService, type CatalogView, type ConnectionTester, type ReconcileReport, type RecoverReport, type Revoker } from './connections/connection-service';
import { ConnectionStore } from './connections/connection-store';
import { oauthClientFor } from './connections/oauth-connect';
import { isReadOnly, openDatabase, type Database } from './db/database';
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
import { rememberCredential } from './log/known-secrets';

export interface SophonCore extends OpenedVault {
  db: Database;
  audit: AuditLog;
  /** The audit chain's signed head, outside sophon.db. */
  auditHead: AuditHeadStore;
  store: ConnectionStore;
  connections: ConnectionService;
  /** The one place a credential is resolved (fresh, linked, or after a re-auth): every door asks it. */
  credentials: Credentials;
  /** Refreshes an OAuth connection now; `force` refreshes even a fresh token and skips the cooldown. */
  refresh(ref: CredentialRef, options?: { force?: boolean }): Promise<void>;
  /** Secrets Sophon holds for itself (OAuth client secrets), apart from every connection's. */
  systemSecrets: SystemSecrets;
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

const ROLLED_BACK = 'Its vault file is an older copy than the one Sophon last wrote (put back from a backup?): restore the newer file, or remove the connection and add it again.';

export interface OpenCoreOptions extends OpenVaultOptions {
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
export async function openCore(options: OpenCoreOptions = {}): Promise<SophonCore> {
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
  const systemSecrets = new SystemSecrets(opened.paths, () => opened.keys.get());
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
      ({ ImportService }) => new ImportService({ store, audit, vault: opened.vault, service: (id) => connections.service(id), env: options.env }),
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
  return {
    ...opened,
    db,
    audit,
    auditHead,
    store,
    connections,
    credentials,
    systemSecrets,
    warnings,
    refresh,
    imports,
    startup,
    recovered,
    close: () => {
      audit.flushHead();
      db.close();
    },
  };
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
