import { AuditLog } from './audit/audit-log';
import { ConnectionService, type CatalogView, type ConnectionTester } from './connections/connection-service';
import { ConnectionStore } from './connections/connection-store';
import { openDatabase, type Database } from './db/database';
import { openVault, type OpenedVault, type OpenVaultOptions } from './vault/open-vault';

export interface SophonCore extends OpenedVault {
  db: Database;
  audit: AuditLog;
  store: ConnectionStore;
  connections: ConnectionService;
  close(): void;
}

export interface OpenCoreOptions extends OpenVaultOptions {
  /** Stand-ins are for tests of this composition only; every door passes nothing. */
  tester?: ConnectionTester;
  catalog?: (connectorsDir: string) => Promise<CatalogView>;
}

/**
 * The one composition root every door (CLI, app, REST server) opens. Catalog and testers are loaded
 * on first use, so a command that lists connections does not load the mail or HTTP clients.
 */
export async function openCore(options: OpenCoreOptions = {}): Promise<SophonCore> {
  const opened = await openVault(options);
  const db = await openDatabase(opened.paths.database);
  const audit = new AuditLog(db);
  const store = new ConnectionStore(db);
  const loadCatalog = options.catalog ?? (async (dir: string) => (await import('./catalog/catalog')).loadCatalog(dir));
  const tester: ConnectionTester = options.tester ?? (async (service, material) => (await import('./connections/tester')).testConnection(service, material));
  const connections = new ConnectionService({
    store,
    audit,
    vault: opened.vault,
    catalog: () => loadCatalog(opened.paths.connectorsDir),
    tester,
  });
  await connections.reconcile();
  return { ...opened, db, audit, store, connections, close: () => db.close() };
}
