import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import type { AuditLog } from '../audit/audit-log';
import type { ServiceDefinition } from '../catalog/schema';
import type { ConnectionRecord, ConnectionStore } from '../connections/connection-store';
import { credentialFor, secretHint } from '../connections/credential-mapping';
import { labelText } from '../connections/label';
import { SophonError } from '../errors';
import type { StoredCredential } from '../vault/credential';
import type { ConnectionService } from '../connections/connection-service';
import { IMPORT_FIELDS, POLICY_CLAUDE_CODE_ONLY } from './broker-policy';
import { isLinked } from './linked';
import { IMPORT_SOURCES, loginSource } from './sources/registry';
import type { FoundLogin, ImportSourceKind, LinkedRead, LoginSource, SourceEnv, SourceReport } from './types';

/** The registered source of a login found by this build (scans only ever report registered kinds). */
function sourceOf(kind: string): LoginSource {
  const source = loginSource(kind);
  if (!source) throw new SophonError('internal', `No CLI-login source "${kind.slice(0, 40)}" is registered (import/sources/registry.ts).`);
  return source;
}

/** A source's name for people, or the kind itself when this build has no such source. */
const sourceName = (kind: string): string => loginSource(kind)?.name ?? kind;

/** A found login as every door shows it: never its secret. */
export interface LoginView {
  key: string;
  source: ImportSourceKind;
  sourceName: string;
  store: string;
  storage: string;
  serviceId: string;
  account: string | null;
  host: string | null;
  plan: string | null;
  scopes: string[];
  expiresAt: string | null;
  expired: boolean;
  mode: 'linked' | 'copy';
  copyAllowed: boolean;
  /** Why the broker will never attach it to requests (Claude subscription logins), else null. */
  brokerPolicy: string | null;
  warnings: string[];
  /** The connection it was imported as, or null. */
  importedAs: string | null;
}

export interface ImportScan {
  sources: SourceReport[];
  logins: LoginView[];
}

export interface ImportedLogin {
  key: string;
  connectionId: string;
  mode: 'linked' | 'copy';
}

export interface ImportResult extends ImportScan {
  imported: ImportedLogin[];
  skipped: { key: string; reason: string }[];
}

export interface ImportServiceDeps {
  store: ConnectionStore;
  audit: AuditLog;
  /** Stores an imported login the way every connection is added (see ConnectionService.storeNew). */
  connections: Pick<ConnectionService, 'storeNew'>;
  service: (serviceId: string) => Promise<ServiceDefinition>;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

/** Why a login that has already expired (by its own expiry field) cannot be used, or null. */
function expiredReason(login: FoundLogin, now: number): string | null {
  if (login.expiresAt === null || login.expiresAt > now) return null;
  const source = sourceOf(login.source);
  return `The ${source.expiredName} login expired at ${new Date(login.expiresAt).toISOString()}: ${source.refresh}.`;
}

const clean = (s: string | null, max = 200): string | null => (s === null ? null : s.replace(/[\p{Cc}]/gu, '').slice(0, max));

/**
 * Finds logins other programs already hold (gh, Claude Code, Codex, environment variables) and turns
 * them into connections. An imported login is *linked*: Sophon re-reads the owner's store each time
 * the token is needed and never refreshes it, since a second refresher of a rotating refresh token
 * logs the person out of the CLI.
 */
export class ImportService {
  private readonly se: SourceEnv;

  constructor(private readonly deps: ImportServiceDeps) {
    const env = deps.env ?? process.env;
    this.se = { env, home: env.HOME || env.USERPROFILE || homedir(), platform: process.platform, now: deps.now ?? Date.now };
  }

  private async scanSources(kinds: readonly ImportSourceKind[]): Promise<{ reports: SourceReport[]; logins: FoundLogin[] }> {
    const results = await Promise.all(
      kinds.map(async (k) => {
        try {
          return await sourceOf(k).scan(this.se);
        } catch (err) {
          // A bug or an unexpected failure in one source never hides the others.
          const message = err instanceof SophonError ? err.message : `${sourceName(k)} could not be read (${err instanceof Error ? err.name : 'error'}).`;
          return { report: { source: k, status: 'error' as const, messages: [message] }, logins: [] };
        }
      }),
    );
    return { reports: results.map((r) => r.report), logins: results.flatMap((r) => r.logins) };
  }

  private importedByKey(userId: string): Map<string, ConnectionRecord> {
    const map = new Map<string, ConnectionRecord>();
    for (const r of this.deps.store.list(userId)) {
      const key = r.fields[IMPORT_FIELDS.key];
      if (key && r.state !== 'pending') map.set(key, r);
    }
    return map;
  }

  private view(login: FoundLogin, importedAs: string | null, mode: 'linked' | 'copy'): LoginView {
    return {
      key: login.key,
      source: login.source,
      sourceName: sourceName(login.source),
      store: login.store,
      storage: login.storage,
      serviceId: login.serviceId,
      account: clean(login.account),
      host: clean(login.host),
      plan: clean(login.plan, 40),
      scopes: login.scopes.map((s) => clean(s, 100) ?? ''),
      expiresAt: login.expiresAt === null ? null : new Date(login.expiresAt).toISOString(),
      expired: login.expiresAt !== null && login.expiresAt <= this.se.now(),
      mode,
      copyAllowed: login.copyAllowed,
      brokerPolicy: login.policy,
      warnings: login.warnings,
      importedAs,
    };
  }

  /**
   * What is there to import. Also re-checks the linked connections of the scanned sources, so a login
   * that disappeared or changed account shows as needs_reauth with the reason.
   */
  async scan(userId: string, kinds: readonly ImportSourceKind[] = IMPORT_SOURCES, opts: { copy?: boolean } = {}): Promise<ImportScan & { found: FoundLogin[] }> {
    const { reports, logins } = await this.scanSources(kinds);
    for (const r of reports) {
      if (r.status === 'missing') continue;
      this.deps.audit.record({
        userId,
        action: 'import',
        outcome: r.status === 'ok' ? 'ok' : 'failed',
        detail: `looked in ${sourceName(r.source)}: ${logins.filter((l) => l.source === r.source).length} login(s)${r.messages.length ? `; ${r.messages.join(' ')}` : ''}`.slice(0, 500),
      });
    }
    const imported = this.importedByKey(userId);
    for (const record of imported.values()) {
      if (kinds.includes(record.fields[IMPORT_FIELDS.source] ?? '') && isLinked(record.fields)) await this.check(record);
    }
    return {
      sources: reports,
      logins: logins.map((l) => this.view(l, imported.get(l.key)?.id ?? null, opts.copy && l.copyAllowed ? 'copy' : l.defaultMode)),
      found: logins,
    };
  }

  /** Imports the chosen logins (by key), each once: a login already imported is skipped. */
  async import(userId: string, scan: { found: FoundLogin[] }, keys: readonly string[], opts: { copy?: boolean } = {}): Promise<{ imported: ImportedLogin[]; skipped: { key: string; reason: string }[] }> {
    const imported: ImportedLogin[] = [];
    const skipped: { key: string; reason: string }[] = [];
    for (const key of keys) {
      const login = scan.found.find((l) => l.key === key);
      if (!login) {
        skipped.push({ key, reason: 'not found in this scan' });
        continue;
      }
      try {
        const done = await this.importOne(userId, login, opts.copy === true && login.copyAllowed ? 'copy' : login.defaultMode);
        if (done) imported.push(done);
        else skipped.push({ key, reason: 'already imported' });
      } catch (err) {
        const reason = err instanceof SophonError ? err.message : 'the import failed';
        this.deps.audit.record({ userId, action: 'import', outcome: 'failed', serviceId: login.serviceId, detail: `${key}: ${reason}` });
        skipped.push({ key, reason });
      }
    }
    return { imported, skipped };
  }

  private pickLabel(userId: string, service: ServiceDefinition, login: FoundLogin): string {
    // Short and telling within the service: "octocat via gh", "me@example.com via claude", "$GH_TOKEN".
    const who = clean(login.account, 60);
    const source = sourceOf(login.source);
    const base = labelText(source.labelFromStore ? login.store : who ? `${who} via ${source.owner}` : `via ${source.name}`, 76) || service.name;
    if (!this.deps.store.labelTaken(userId, service.id, base)) return base;
    for (let n = 2; ; n++) if (!this.deps.store.labelTaken(userId, service.id, `${base} ${n}`)) return `${base} ${n}`;
  }

  private async importOne(userId: string, login: FoundLogin, mode: 'linked' | 'copy'): Promise<ImportedLogin | null> {
    const service = await this.deps.service(login.serviceId);
    const id = `${service.id}-${randomBytes(5).toString('hex')}`;
    const fields: Record<string, string> = {
      ...login.fields,
      [IMPORT_FIELDS.key]: login.key,
      [IMPORT_FIELDS.source]: login.source,
      [IMPORT_FIELDS.mode]: mode,
      importStore: login.store,
      ...(login.policy ? { [IMPORT_FIELDS.policy]: POLICY_CLAUDE_CODE_ONLY } : {}),
    };
    const now = this.se.now();
    const expired = expiredReason(login, now);
    // Connections' one add sequence; the check runs in the inserting transaction, so two processes
    // importing at once still import it once.
    const stored = await this.deps.connections.storeNew({
      claim: () => !this.importedByKey(userId).has(login.key),
      row: () => ({
        id,
        userId,
        serviceId: service.id,
        label: this.pickLabel(userId, service, login),
        authMethod: service.auth.method,
        scopes: login.scopes,
        fields,
        secretHint: mode === 'copy' ? secretHint(service, login.secret) : null,
        expiresAt: login.expiresAt,
      }),
      // A linked login stays in its owner's store: nothing goes into the vault.
      credential: mode === 'copy' ? credentialFor(service, login.secret, {}) : null,
      finish: () => {
        this.deps.store.updateGrant(id, { scopes: login.scopes, expiresAt: login.expiresAt, account: clean(login.account) }, now);
        if (expired) this.deps.store.setState(id, 'needs_reauth', expired, now);
      },
      audit: {
        userId,
        action: 'import',
        outcome: 'ok',
        connectionId: id,
        serviceId: service.id,
        detail: `${mode === 'linked' ? 'linked to' : 'copied from'} ${sourceName(login.source)} (${login.key})${expired ? `; needs re-auth: ${expired}` : ''}`.slice(0, 500),
      },
    });
    if (!stored) return null;
    return { key: login.key, connectionId: id, mode };
  }

  private async readLinked(record: ConnectionRecord): Promise<LinkedRead> {
    const f = record.fields;
    const source = loginSource(f[IMPORT_FIELDS.source] ?? '');
    if (!source?.readLinked) {
      return { ok: false, reason: `This connection is linked to an unknown source (${String(f[IMPORT_FIELDS.source]).slice(0, 40)}); remove it and import again.` };
    }
    return source.readLinked(this.se, f);
  }

  /** Re-reads the store and brings the connection's state in line: needs_reauth with the reason, or active again. */
  private async check(record: ConnectionRecord): Promise<LinkedRead> {
    const read = await this.readLinked(record);
    const now = this.se.now();
    const changed = (detail: string, ok: boolean) =>
      this.deps.audit.record({ userId: record.userId, action: 'use', outcome: ok ? 'ok' : 'failed', connectionId: record.id, serviceId: record.serviceId, detail });
    if (!read.ok) {
      if (record.state !== 'needs_reauth' || record.stateReason !== read.reason) {
        this.deps.store.setState(record.id, 'needs_reauth', read.reason, now);
        changed(`linked check: needs re-auth: ${read.reason}`, false);
      }
    } else if (record.state !== 'active' || record.expiresAt !== read.expiresAt) {
      this.deps.store.updateGrant(record.id, { scopes: read.scopes.length ? read.scopes : record.scopes, expiresAt: read.expiresAt, account: read.account }, now);
      if (record.state !== 'active') changed('linked check: usable again', true);
    }
    return read;
  }

  /**
   * Re-reads every linked connection (of one user, or all) and updates its state and expiry: what the
   * app runs when a watched store changes. Returns the ids checked.
   */
  async recheck(userId?: string): Promise<string[]> {
    const checked: string[] = [];
    for (const record of this.deps.store.list(userId)) {
      if (record.state === 'pending' || !isLinked(record.fields)) continue;
      await this.check(record);
      checked.push(record.id);
    }
    return checked;
  }

  /** The folders whose changes can change a linked connection: each store's folder. */
  watchedFolders(userId?: string): string[] {
    const folders = new Set<string>();
    for (const record of this.deps.store.list(userId)) {
      if (record.state === 'pending' || !isLinked(record.fields)) continue;
      const store = record.fields.importStore;
      const folder = store ? loginSource(record.fields[IMPORT_FIELDS.source] ?? '')?.watchedFolder?.(store) : undefined;
      if (folder) folders.add(folder);
    }
    return [...folders];
  }

  /**
   * The credential of a linked connection, read now from the store that owns it. Never refreshes:
   * an expired login is an auth_failed error saying how to refresh it, and the connection needs_reauth.
   */
  async credential(record: ConnectionRecord): Promise<StoredCredential> {
    const read = await this.check(record);
    const source = record.fields[IMPORT_FIELDS.source] ?? 'unknown';
    if (!read.ok) {
      this.deps.audit.record({ userId: record.userId, action: 'use', outcome: 'failed', connectionId: record.id, serviceId: record.serviceId, detail: `linked read: ${read.reason}` });
      throw new SophonError('auth_failed', `${record.label}: ${read.reason}`);
    }
    this.deps.audit.record({ userId: record.userId, action: 'use', outcome: 'ok', connectionId: record.id, serviceId: record.serviceId, detail: `read from ${sourceName(source)}` });
    const service = await this.deps.service(record.serviceId);
    const data = credentialFor(service, read.secret, {});
    return { ...data, extra: data.extra ?? {}, ...(read.expiresAt === null ? {} : { expiresAt: read.expiresAt }) };
  }
}
