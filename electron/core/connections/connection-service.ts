import { withArticle } from '../../../shared/auth-names';
import { randomBytes } from 'node:crypto';
import type { Connection } from '../../../shared/connections';
import type { AuditEntry, AuditLog } from '../audit/audit-log';
import type { CatalogEntry, ServiceDefinition } from '../catalog/schema';
import { SophonError } from '../errors';
import { assertValidId } from '../vault/ids';
import type { CredentialData, CredentialRef, ICredentialVault, StoredCredential, VaultMeta } from '../vault/credential';
import type { OAuthClient } from '../oauth/client';
import type { Credentials, LinkedCredentials } from '../credentials';
import { signIn, type OAuthInteraction } from './oauth-connect';
import { resolveConnectionRef } from './connection-ref';
import type { ConnectionRecord, ConnectionStore, NewConnection } from './connection-store';
import { credentialFor, secretHint, secretOf } from './credential-mapping';
import { cleanLabel, labelText } from './label';
import { assertSingleLine, validateFields } from './fields';
import type { TestOutcome } from './test-outcome';

export interface CatalogView {
  entries: CatalogEntry[];
  problems: { file: string; message: string }[];
}

export type ConnectionTester = (service: ServiceDefinition, material: { secret?: string; fields: Record<string, string> }) => Promise<TestOutcome>;

export interface AddConnectionInput {
  serviceId: string;
  label?: string;
  /** The main secret (API key, token, password). Never logged, never in an error. */
  secret?: string;
  fields?: Record<string, string>;
  secretFields?: Record<string, string>;
  /** Test before storing (default). A rejected credential is then not stored. */
  test?: boolean;
  /** OAuth services: how the sign-in is shown, and the scopes to ask for (default: the service's). */
  oauth?: OAuthInteraction;
}

export interface RemoveResult {
  connection: Connection;
  revocation: 'not_applicable' | 'revoked' | 'failed';
  revocationMessage: string | null;
}

export interface ReconcileReport {
  missingCredential: string[];
  abandonedAdds: string[];
  /** Removals that a killed process had begun, finished now. */
  finishedRemovals: string[];
  /** Credential files with no connection row: kept (`sophon vault recover` lists them again). */
  unlisted: CredentialRef[];
  /** Files given their connection's metadata and a generation (written before Sophon kept them in the file). */
  migrated: string[];
}

export interface RecoverReport {
  /** Connections listed again from their vault files. */
  recovered: Connection[];
  /** Files that stay unlisted, and why (they are kept). */
  unrecoverable: { userId: string; connectionId: string; reason: string }[];
  /** Files that already had their connection. */
  alreadyListed: number;
}

/** A new connection's row, as `storeNew` inserts it (pending). */
type NewRow = NewConnection & { account?: string | null };

/** An add that has not finished after this long crashed: its pending row and any credential are cleared. */
const ABANDONED_ADD_MS = 10 * 60_000;

const NEEDS_SECRET = new Set(['api_key', 'bearer', 'basic', 'smtp_imap', 'webhook_url']);

/** Revokes tokens at the service when a connection is removed; OAuth plugs in here. */
export type Revoker = (record: ConnectionRecord, service: ServiceDefinition, credential: StoredCredential | null) => Promise<'not_applicable' | 'revoked'>;

/** The vault as recovery needs it: a credential together with what its file says about itself. */
export interface InspectableVault extends ICredentialVault {
  inspect(userId: string, connectionId: string): Promise<{ credential: StoredCredential; meta: VaultMeta | null } | null>;
}

/** The steps of a removal, for tests that stop one there (as a kill would). */
export type RemoveStep = 'marked' | 'file_deleted';

export interface ConnectionServiceDeps {
  store: ConnectionStore;
  audit: AuditLog;
  vault: InspectableVault;
  /** Where every credential is read and kept fresh (the vault is only written and listed here). */
  credentials: Pick<Credentials, 'resolve' | 'read'>;
  catalog: () => Promise<CatalogView>;
  /**
   * The catalog's names of these service ids (an id not in it: absent), for listing without building
   * the whole catalog. Must agree with `catalog`; without it, names come from `catalog`.
   */
  serviceNames?: (ids: ReadonlySet<string>) => Promise<Map<string, string>>;
  tester: ConnectionTester;
  revoker?: Revoker;
  /** The OAuth client Sophon is registered as at a service (from settings). */
  oauthClient?: (service: ServiceDefinition) => Promise<OAuthClient>;
  linked?: Pick<LinkedCredentials, 'isLinked'>;
  now?: () => number;
  /** Tests only: called after each step of a removal. */
  afterRemoveStep?: (step: RemoveStep) => void;
}

/**
 * The connection lifecycle: add, list, test, status, rename, remove, and reconciling the metadata
 * (sophon.db) with the secrets (vault) after a crash between the two.
 */
/** Test outcomes that prove nothing either way: the key is kept, as `untested`, until a test finishes. */
const UNFINISHED_TESTS: ReadonlySet<TestOutcome['status']> = new Set(['unreachable', 'unexpected']);

export class ConnectionService {
  private catalogCache: Promise<CatalogView> | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: ConnectionServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  catalog(): Promise<CatalogView> {
    this.catalogCache ??= this.deps.catalog();
    return this.catalogCache;
  }

  /** Reads the catalog again on next use (a connector file was just written). */
  forgetCatalog(): void {
    this.catalogCache = undefined;
  }

  async service(serviceId: string): Promise<ServiceDefinition> {
    const entry = (await this.catalog()).entries.find((e) => e.service.id === serviceId);
    if (!entry) throw new SophonError('not_found', `No service "${serviceId}" in the catalog. See \`sophon connect list --available\`.`);
    return entry.service;
  }

  async list(userId: string): Promise<Connection[]> {
    const records = this.deps.store.list(userId).filter((r) => r.state !== 'pending');
    const services = await this.servicesNamed(new Set(records.map((r) => r.serviceId)));
    return records.map((r) => toConnection(r, services.get(r.serviceId)));
  }

  resolve(userId: string, ref: string): ConnectionRecord {
    return resolveConnectionRef(this.deps.store.list(userId), ref);
  }

  async status(userId: string, ref: string): Promise<Connection> {
    const record = this.resolve(userId, ref);
    return toConnection(record, (await this.serviceMap()).get(record.serviceId));
  }

  async add(userId: string, input: AddConnectionInput): Promise<{ connection: Connection; test: TestOutcome | null }> {
    assertValidId('user', userId);
    const service = await this.service(input.serviceId);
    let grant: { credential: CredentialData; scopes: string[]; expiresAt: number | null; account: string | null } | null = null;
    if (service.auth.method === 'oauth2') grant = await this.authorize(service, input.oauth ?? {});
    const secret = grant ? grant.credential.accessToken : input.secret === undefined ? undefined : input.secret.replace(/\r?\n$/, '');
    if (NEEDS_SECRET.has(service.auth.method)) {
      if (!secret) throw new SophonError('invalid_input', `${service.name} needs ${withArticle(service.auth.secretLabel)}.`);
      assertSingleLine(`The ${service.auth.secretLabel}`, secret);
    }
    const fields = validateFields(service, input.fields ?? {}, input.secretFields ?? {});
    const label = this.pickLabel(userId, service, input.label);

    let outcome: TestOutcome | null = null;
    if (input.test !== false) {
      outcome = await this.deps.tester(service, { secret, fields: { ...fields.plain, ...fields.secret } });
      if (outcome.status === 'rejected' || outcome.status === 'missing_scope') {
        this.deps.audit.record({ userId, action: 'add', outcome: 'failed', serviceId: service.id, detail: outcome.message });
        throw new SophonError('auth_failed', `${outcome.message} Nothing was stored.`);
      }
    }

    const id = `${service.id}-${randomBytes(5).toString('hex')}`;
    const account = grant?.account ?? outcome?.account;
    const finalLabel = input.label === undefined && account ? this.pickLabel(userId, service, `${service.name} (${labelText(account, 60)})`) : label;
    await this.storeNew({
      row: {
        id,
        userId,
        serviceId: service.id,
        label: finalLabel,
        authMethod: service.auth.method,
        scopes: grant ? grant.scopes : [...service.defaultScopes],
        fields: fields.plain,
        secretHint: grant ? null : secretHint(service, secret),
        expiresAt: grant?.expiresAt ?? null,
        // Known before the secret is written, so its vault file carries it too (for recovery).
        account: account ?? null,
      },
      credential: grant ? { ...grant.credential, extra: { ...grant.credential.extra, ...fields.secret } } : credentialFor(service, secret, fields.secret),
      finish: (now) => {
        if (outcome && UNFINISHED_TESTS.has(outcome.status)) this.deps.store.setState(id, 'untested', outcome.message, now);
        else this.deps.store.setState(id, 'active', null, now);
        if (grant) this.deps.store.updateGrant(id, grant, now);
        if (outcome) this.deps.store.recordTest(id, outcome, now);
      },
      audit: { userId, action: 'add', outcome: 'ok', connectionId: id, serviceId: service.id, detail: outcome ? `test: ${outcome.status}` : 'stored untested' },
    });
    return { connection: await this.status(userId, id), test: outcome };
  }

  /**
   * The one way a new connection is stored (an add, an import): its row first (pending), then its secret
   * (none for a login linked to another program), then its finished state, then one audit row. A crash
   * leaves a pending row (cleared by the next reconcile), never a secret without a row; a failed write
   * removes the row. `claim`, run in the transaction that inserts the row, may refuse it (an import of a
   * login another process imported meanwhile): then nothing is stored and the answer is false.
   */
  async storeNew(add: {
    /** A function when the row (its label) must be chosen inside the inserting transaction. */
    row: NewRow | (() => NewRow);
    credential: CredentialData | null;
    claim?: () => boolean;
    finish: (now: number) => void;
    audit: AuditEntry;
  }): Promise<boolean> {
    const row = this.deps.store.transaction(() => {
      if (add.claim && !add.claim()) return null;
      const r = typeof add.row === 'function' ? add.row() : add.row;
      assertValidId('user', r.userId);
      this.deps.store.insertPending(r, this.now());
      return r;
    });
    if (!row) return false;
    if (add.credential) {
      try {
        await this.deps.vault.put(row.userId, row.id, add.credential);
      } catch (err) {
        this.deps.store.delete(row.id);
        throw err;
      }
    }
    const now = this.now();
    // One transaction: no reader sees the row half finished (an expired import shown as active).
    this.deps.store.transaction(() => add.finish(now));
    this.deps.audit.record(add.audit);
    return true;
  }

  /**
   * The connection id whose audit history a reference names: a current connection's (by id or label),
   * else the reference itself, since a removed connection still has its history.
   */
  historyId(userId: string, ref: string): string {
    try {
      return this.resolve(userId, ref).id;
    } catch (err) {
      if (!(err instanceof SophonError) || err.code !== 'not_found') throw err;
      return ref;
    }
  }

  /** Every connection that is not being added (of one user, or of all), as sophon.db has it. */
  records(userId?: string): ConnectionRecord[] {
    return this.deps.store.list(userId).filter((r) => r.state !== 'pending');
  }

  /** Whether a connection of this service already has this label (labels are unique per user and service). */
  labelTaken(userId: string, serviceId: string, label: string): boolean {
    return this.deps.store.labelTaken(userId, serviceId, label);
  }

  /** Per user, a fingerprint that moves whenever any process changed that user's connections. */
  fingerprints(): Map<string, string> {
    return this.deps.store.fingerprints();
  }

  async test(userId: string, ref: string): Promise<{ connection: Connection; outcome: TestOutcome }> {
    const record = this.resolve(userId, ref);
    const service = await this.service(record.serviceId);
    const linked = this.isLinked(record);
    let outcome: TestOutcome;
    // A linked login that cannot be read has already been set to needs_reauth, with the reason.
    let unreadable = false;
    if (linked) {
      outcome = await this.deps.credentials.resolve({ userId, connection: record, purpose: 'test', service }).then(
        ({ credential: c }) => this.deps.tester(service, { secret: secretOf(service, c), fields: { ...record.fields, ...c.extra } }),
        (err: unknown): TestOutcome => {
          if (!(err instanceof SophonError) || err.code !== 'auth_failed') throw err;
          unreadable = true;
          return { status: 'rejected', message: err.message, elapsedMs: 0 };
        },
      );
    } else {
      const credential = await this.deps.credentials.read({ userId, connectionId: record.id });
      if (!credential) {
        this.markMissing(record);
        throw new SophonError('vault_file_corrupt', `The credential of ${record.id} is missing from the vault; remove the connection and add it again.`);
      }
      outcome = await this.testWith(record, service, credential);
    }
    const now = this.now();
    this.deps.store.recordTest(record.id, outcome, now);
    this.deps.store.touchUsed(record.id, now);
    if (unreadable) {
      // state and reason were set by the linked read
    } else if ((outcome.status === 'rejected' || outcome.status === 'missing_scope') && !(record.state === 'needs_reauth' && !linked)) {
      // (Already needing re-auth, the reason stays the refusal that caused it.)
      this.deps.store.setState(record.id, record.authMethod === 'oauth2' || linked ? 'needs_reauth' : 'error', outcome.message, now);
    } else if (outcome.status === 'ok' && (record.state === 'error' || record.state === 'untested')) {
      this.deps.store.setState(record.id, 'active', null, now);
    }
    const ok = outcome.status === 'ok' || outcome.status === 'untestable';
    this.deps.audit.record({ userId, action: 'test', outcome: ok ? 'ok' : 'failed', connectionId: record.id, serviceId: record.serviceId, detail: `${outcome.status}: ${outcome.message}` });
    return { connection: await this.status(userId, record.id), outcome };
  }

  private async testWith(record: ConnectionRecord, service: ServiceDefinition, credential: StoredCredential): Promise<TestOutcome> {
    let secret = secretOf(service, credential);
    if (record.authMethod === 'oauth2' && record.state === 'needs_reauth') {
      // The last refresh was refused: trying it again would only be refused again (and cost a request).
      const expired = credential.expiresAt !== undefined && credential.expiresAt <= this.now();
      const reauth = `sign in again: \`sophon connect reauth ${record.id}\``;
      if (expired || !credential.accessToken) {
        return { status: 'rejected', message: `The access token has expired and ${service.name} refused the last refresh (${record.stateReason ?? 'needs re-auth'}); ${reauth}.`, elapsedMs: 0 };
      }
      const outcome = await this.deps.tester(service, { secret: credential.accessToken, fields: { ...record.fields, ...credential.extra } });
      if (outcome.status !== 'ok') return outcome;
      const left = credential.expiresAt === undefined ? '' : ` for about ${Math.max(1, Math.round((credential.expiresAt - this.now()) / 60_000))} more minute(s)`;
      return { ...outcome, message: `${outcome.message}; but this is the old access token, which works only until it expires${left}: ${service.name} refused the last refresh, so the connection still needs you to ${reauth}.` };
    }
    if (record.authMethod === 'oauth2') {
      try {
        // Resolved, so an expired token is refreshed first (and a revoked grant is noticed).
        secret = (await this.deps.credentials.resolve({ userId: record.userId, connection: record, purpose: 'test', service })).secret;
      } catch (err) {
        if (!(err instanceof SophonError) || err.code !== 'auth_failed') throw err;
        return { status: 'rejected', message: err.message, elapsedMs: 0 };
      }
    }
    return this.deps.tester(service, { secret, fields: { ...record.fields, ...credential.extra } });
  }

  /**
   * A usable access token for a call. When the connection needs re-auth (now, or because this very
   * refresh was refused), the call waits — bounded by `waitMs` — for the person to re-authenticate,
   * possibly from another process (the app, or `sophon connect reauth`), instead of failing silently
   * or retrying in a loop.
   */
  async accessToken(userId: string, ref: string, options: { waitMs?: number; pollMs?: number } = {}): Promise<string> {
    const record = this.resolve(userId, ref);
    const { secret } = await this.deps.credentials.resolve({ userId, connection: record, purpose: 'inject', waitForReauth: { waitMs: options.waitMs ?? 5 * 60_000, pollMs: options.pollMs } });
    if (secret === undefined) throw new SophonError('not_found', `Connection ${record.id} has no access token or API key stored.`);
    return secret;
  }

  private isLinked(record: ConnectionRecord): boolean {
    return this.deps.linked?.isLinked(record) === true;
  }

  /**
   * Replaces the secret of a key-based connection in place (rotating a key): the id, label, fields and
   * history stay. The new secret is tested first unless `test` is false; a rejected one changes nothing.
   * Written through the vault's put, as add and reauth do.
   */
  /**
   * The connection whose secret `update` would replace, and its service; a usage error when it has none
   * to replace (OAuth, a linked login). A door asks before prompting for the new secret.
   */
  async updatable(userId: string, ref: string): Promise<{ record: ConnectionRecord; service: ServiceDefinition }> {
    const record = this.resolve(userId, ref);
    const service = await this.service(record.serviceId);
    if (this.isLinked(record)) {
      throw new SophonError('usage', `${record.label} is linked to a login another program keeps; sign in again there (it is read from there at every use).`);
    }
    if (!NEEDS_SECRET.has(service.auth.method)) {
      throw new SophonError('usage', service.auth.method === 'oauth2' ? `${record.label} signs in with OAuth: use \`sophon connect reauth ${record.id}\`.` : `${record.label} has no secret to replace.`);
    }
    return { record, service };
  }

  async update(userId: string, ref: string, input: { secret: string; secretFields?: Record<string, string>; test?: boolean }): Promise<{ connection: Connection; test: TestOutcome | null }> {
    const { record, service } = await this.updatable(userId, ref);
    const secret = input.secret.replace(/\r?\n$/, '');
    if (!secret) throw new SophonError('invalid_input', `${service.name} needs ${withArticle(service.auth.secretLabel)}.`);
    assertSingleLine(`The ${service.auth.secretLabel}`, secret);
    const old = await this.deps.credentials.read({ userId, connectionId: record.id });
    const extra = { ...(old?.extra ?? {}), ...(input.secretFields ?? {}) };
    let outcome: TestOutcome | null = null;
    if (input.test !== false) {
      outcome = await this.deps.tester(service, { secret, fields: { ...record.fields, ...extra } });
      if (outcome.status === 'rejected' || outcome.status === 'missing_scope') {
        this.deps.audit.record({ userId, action: 'update', outcome: 'failed', connectionId: record.id, serviceId: record.serviceId, detail: outcome.message });
        throw new SophonError('auth_failed', `${outcome.message} The old secret stays.`);
      }
    }
    await this.deps.vault.put(userId, record.id, credentialFor(service, secret, extra));
    const now = this.now();
    this.deps.store.replacedSecret(record.id, secretHint(service, secret), now);
    if (outcome) this.deps.store.recordTest(record.id, outcome, now);
    if (outcome && UNFINISHED_TESTS.has(outcome.status)) this.deps.store.setState(record.id, 'untested', outcome.message, now);
    this.deps.audit.record({ userId, action: 'update', outcome: 'ok', connectionId: record.id, serviceId: record.serviceId, detail: outcome ? `secret replaced; test: ${outcome.status}` : 'secret replaced untested' });
    return { connection: await this.status(userId, record.id), test: outcome };
  }

  /** Signs in again (for example with more scopes): same id, label and history; the new grant replaces the old. */
  async reauth(userId: string, ref: string, how: OAuthInteraction = {}): Promise<Connection> {
    const record = this.resolve(userId, ref);
    const service = await this.service(record.serviceId);
    if (service.auth.method !== 'oauth2') {
      throw new SophonError('usage', `${record.label} uses ${service.auth.secretLabel}, not OAuth: add it again with the new secret, or remove it.`);
    }
    let grant;
    try {
      // `how.scopes` may be present but undefined: the scopes granted before must not be lost to it.
      grant = await this.authorize(service, { ...how, scopes: how.scopes ?? record.scopes });
    } catch (err) {
      this.deps.audit.record({ userId, action: 'reauth', outcome: 'failed', connectionId: record.id, serviceId: record.serviceId, detail: err instanceof SophonError ? err.message : 'sign-in failed' });
      throw err;
    }
    const old = await this.deps.credentials.read({ userId, connectionId: record.id });
    await this.deps.vault.put(userId, record.id, { ...grant.credential, extra: { ...(old?.extra ?? {}), ...grant.credential.extra } });
    // One rule for the account name: set when the connection is added, kept while the same person (the
    // same `sub`) signs in again, however many claims this sign-in's scopes reveal; replaced only when
    // someone else signs in.
    const samePerson = typeof old?.subject === 'string' && old.subject === grant.credential.subject;
    this.deps.store.updateGrant(record.id, { ...grant, account: samePerson ? null : grant.account }, this.now());
    this.deps.audit.record({ userId, action: 'reauth', outcome: 'ok', connectionId: record.id, serviceId: record.serviceId, detail: `scopes: ${grant.scopes.join(' ') || '(none)'}` });
    return this.status(userId, record.id);
  }

  private async authorize(service: ServiceDefinition, how: OAuthInteraction) {
    if (!this.deps.oauthClient) throw new SophonError('internal', 'OAuth is not available in this door.');
    const client = await this.deps.oauthClient(service);
    const tokens = await signIn(client, service, how);
    const { credentialFromTokens, accountLabel } = await import('../oauth/tokens');
    return { credential: credentialFromTokens(tokens), scopes: tokens.scopes, expiresAt: tokens.expiresAt ?? null, account: accountLabel(tokens.identity) ?? null };
  }

  async rename(userId: string, ref: string, label: string): Promise<Connection> {
    const record = this.resolve(userId, ref);
    const clean = cleanLabel(label);
    if (this.deps.store.labelTaken(userId, record.serviceId, clean, record.id)) {
      throw new SophonError('invalid_input', `Another ${record.serviceId} connection is already labelled "${clean}".`);
    }
    this.deps.store.rename(record.id, clean, this.now());
    this.deps.audit.record({ userId, action: 'rename', outcome: 'ok', connectionId: record.id, serviceId: record.serviceId, detail: `"${record.label}" → "${clean}"` });
    return this.status(userId, record.id);
  }

  /**
   * Revokes where the service can, then deletes the secret and the metadata. A failed revocation is
   * reported; removal still completes. The row is marked first, then the file goes, then the row: a
   * kill before the mark leaves the whole connection, and after it the next open finishes the removal.
   */
  async remove(userId: string, ref: string): Promise<RemoveResult> {
    const record = this.resolve(userId, ref);
    const services = await this.serviceMap();
    const service = services.get(record.serviceId);
    const connection = toConnection(record, service);
    let revocation: RemoveResult['revocation'] = 'not_applicable';
    let revocationMessage: string | null = null;
    // Only OAuth grants can be revoked by Sophon; an API key, password or token is revoked at the service by hand.
    if (service && this.deps.revoker && service.auth.method === 'oauth2' && !this.isLinked(record)) {
      let credential: StoredCredential | null = null;
      try {
        credential = await this.deps.credentials.read({ userId, connectionId: record.id });
      } catch (err) {
        revocation = 'failed';
        revocationMessage = `its stored tokens could not be read (${err instanceof SophonError ? err.message : 'unexpected error'}), so Sophon could not revoke them`;
      }
      if (revocation !== 'failed') {
        try {
          revocation = await this.deps.revoker(record, service, credential);
        } catch (err) {
          revocation = 'failed';
          revocationMessage = err instanceof SophonError ? err.message : 'the service did not accept the revocation';
        }
      }
      if (revocation !== 'not_applicable') {
        this.deps.audit.record({ userId, action: 'revoke', outcome: revocation === 'revoked' ? 'ok' : 'failed', connectionId: record.id, serviceId: record.serviceId, detail: revocationMessage });
      }
    }
    this.deps.store.markRemoving(record.id, this.now());
    this.deps.afterRemoveStep?.('marked');
    await this.deps.vault.delete(userId, record.id);
    this.deps.afterRemoveStep?.('file_deleted');
    this.deps.store.delete(record.id);
    this.deps.audit.record({ userId, action: 'remove', outcome: 'ok', connectionId: record.id, serviceId: record.serviceId, detail: record.label });
    return { connection, revocation, revocationMessage };
  }

  /**
   * After a crash between the two stores: a connection whose secret is gone is shown as broken (never
   * usable), an add that never finished is cleared, a removal that was begun is finished — each recorded
   * in the audit trail. A credential file without a row is never deleted: it is reported as unlisted
   * (sophon.db may have been lost or replaced; `recover` lists it again). Files written before they
   * carried their connection's metadata get it here, once (their row's generation is then above 0).
   */
  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { missingCredential: [], abandonedAdds: [], finishedRemovals: [], unlisted: [], migrated: [] };
    // Files before rows: an add inserts its row before writing its file, so a file seen here has its row below.
    const files = await this.deps.vault.list();
    const rows = this.deps.store.listIdentities();
    const haveFile = new Set(files.map((f) => `${f.userId}/${f.connectionId}`));
    const rowOf = new Map(rows.map((r) => [r.id, r]));
    const toMigrate: typeof rows = [];
    for (const r of rows) {
      const key = `${r.userId}/${r.id}`;
      if (r.removingAt !== null) {
        await this.deps.vault.delete(r.userId, r.id);
        this.deps.store.delete(r.id);
        this.deps.audit.record({ userId: r.userId, action: 'remove', outcome: 'ok', connectionId: r.id, serviceId: r.serviceId, detail: 'finished a removal that was interrupted' });
        report.finishedRemovals.push(r.id);
      } else if (r.state === 'pending') {
        if (this.now() - r.createdAt < ABANDONED_ADD_MS) continue;
        // The row says this add never finished: its file (if it got that far) is the add's own.
        await this.deps.vault.delete(r.userId, r.id);
        this.deps.store.delete(r.id);
        this.deps.audit.record({ userId: r.userId, action: 'reconcile', outcome: 'ok', connectionId: r.id, serviceId: r.serviceId, detail: 'cleared an add that never finished' });
        report.abandonedAdds.push(r.id);
      } else if (!haveFile.has(key)) {
        if (r.state !== 'error' && !this.linkedId(r.id) && (await this.deps.credentials.read({ userId: r.userId, connectionId: r.id }).catch(() => null)) === null) {
          this.markMissing(r);
          report.missingCredential.push(r.id);
        }
      } else if (r.vaultGeneration === 0) {
        toMigrate.push(r);
      }
    }
    for (const f of files) {
      const row = rowOf.get(f.connectionId);
      if (!row || row.userId !== f.userId) report.unlisted.push(f);
    }
    for (const r of toMigrate) {
      try {
        const credential = await this.deps.credentials.read({ userId: r.userId, connectionId: r.id });
        // Rewriting seals the row's metadata and generation 1 into the file.
        if (credential) await this.deps.vault.put(r.userId, r.id, credential);
        report.migrated.push(r.id);
      } catch (err) {
        // A damaged file is reported by `vault verify` and tried again at the next open; a key that
        // cannot be reached now will not be reached for the next file either.
        if (!(err instanceof SophonError) || !err.code.startsWith('vault_file')) break;
      }
    }
    return report;
  }

  /**
   * Lists again the connections whose vault file has no row (sophon.db lost, emptied or replaced),
   * from the metadata sealed in each file. Never replaces a row; running it twice changes nothing.
   * The audit trail of what happened before is not in the vault: it says it was lost, and nothing is invented.
   */
  async recover(): Promise<RecoverReport> {
    const report: RecoverReport = { recovered: [], unrecoverable: [], alreadyListed: 0 };
    const files = await this.deps.vault.list();
    const rows = new Map(this.deps.store.listIdentities().map((r) => [r.id, r]));
    const wasEmpty = rows.size === 0;
    const byUser = new Map<string, string[]>();
    for (const f of files) {
      const row = rows.get(f.connectionId);
      if (row) {
        if (row.userId === f.userId) report.alreadyListed++;
        else report.unrecoverable.push({ ...f, reason: `connection id ${f.connectionId} is already used by another user's connection` });
        continue;
      }
      const problem = (reason: string) => report.unrecoverable.push({ ...f, reason });
      let opened;
      try {
        opened = await this.deps.vault.inspect(f.userId, f.connectionId);
      } catch (err) {
        if (!(err instanceof SophonError)) throw err;
        problem(`${err.code}: ${err.message}`);
        continue;
      }
      if (!opened) continue; // removed meanwhile
      const m = opened.meta;
      if (!m || m.serviceId === undefined || m.label === undefined || m.authMethod === undefined || m.createdAt === undefined) {
        problem('the file was written before Sophon kept a connection\'s details in it; add the connection again (the file is kept)');
        continue;
      }
      const label = this.freeLabel(f.userId, m.serviceId, m.label);
      const inserted = this.deps.store.insertRecovered(
        {
          id: f.connectionId,
          userId: f.userId,
          serviceId: m.serviceId,
          label,
          authMethod: m.authMethod,
          scopes: m.scopes ?? opened.credential.scopes ?? [],
          fields: m.fields ?? {},
          secretHint: m.secretHint ?? null,
          account: m.account ?? null,
          expiresAt: opened.credential.expiresAt ?? null,
          createdAt: m.createdAt,
          vaultGeneration: m.generation,
        },
        this.now(),
      );
      if (!inserted) {
        if (this.deps.store.get(f.connectionId)) report.alreadyListed++;
        else problem(`another connection took the label "${label}" meanwhile; run recover again`);
        continue;
      }
      const detail = label === m.label ? 'listed again from its vault file' : `listed again from its vault file, as "${label}" ("${m.label}" is taken)`;
      this.deps.audit.record({ userId: f.userId, action: 'reconcile', outcome: 'ok', connectionId: f.connectionId, serviceId: m.serviceId, detail });
      byUser.set(f.userId, [...(byUser.get(f.userId) ?? []), f.connectionId]);
      report.recovered.push(await this.status(f.userId, f.connectionId));
    }
    for (const [userId, ids] of byUser) {
      const lost = wasEmpty ? ' sophon.db was empty: the audit history from before this is lost, and the recovered connections\' last use and test results are unknown.' : '';
      this.deps.audit.record({ userId, action: 'reconcile', outcome: 'ok', detail: `recovered ${ids.length} connection(s) from the vault: ${ids.join(', ')}.${lost}` });
    }
    return report;
  }

  private freeLabel(userId: string, serviceId: string, wanted: string): string {
    if (!this.deps.store.labelTaken(userId, serviceId, wanted)) return wanted;
    for (let n = 2; ; n++) {
      const label = `${wanted} (recovered${n === 2 ? '' : ` ${n}`})`;
      if (!this.deps.store.labelTaken(userId, serviceId, label)) return label;
    }
  }

  /** Linked connections have no vault file by design. */
  private linkedId(id: string): boolean {
    const record = this.deps.store.get(id);
    return record !== null && this.isLinked(record);
  }

  private markMissing(r: Pick<ConnectionRecord, 'id' | 'userId' | 'serviceId'>): void {
    this.deps.store.setState(r.id, 'error', 'Its credential is missing from the vault: remove the connection and add it again.', this.now());
    this.deps.audit.record({ userId: r.userId, action: 'reconcile', outcome: 'failed', connectionId: r.id, serviceId: r.serviceId, detail: 'credential missing from the vault' });
  }

  private pickLabel(userId: string, service: ServiceDefinition, wanted: string | undefined): string {
    const base = cleanLabel(wanted ?? service.name);
    if (!this.deps.store.labelTaken(userId, service.id, base)) return base;
    if (wanted !== undefined) throw new SophonError('invalid_input', `You already have ${withArticle(service.name)} connection labelled "${base}"; choose another --label.`);
    for (let n = 2; ; n++) if (!this.deps.store.labelTaken(userId, service.id, `${base} ${n}`)) return `${base} ${n}`;
  }

  /** Just enough of each service to show a connection: its name (a catalog already built is used as it is). */
  private async servicesNamed(ids: ReadonlySet<string>): Promise<ReadonlyMap<string, Pick<ServiceDefinition, 'name'>>> {
    if (this.catalogCache || !this.deps.serviceNames) return this.serviceMap();
    const named = new Map<string, Pick<ServiceDefinition, 'name'>>();
    for (const [id, name] of await this.deps.serviceNames(ids)) named.set(id, { name });
    return named;
  }

  private async serviceMap(): Promise<Map<string, ServiceDefinition>> {
    return new Map((await this.catalog()).entries.map((e) => [e.service.id, e.service]));
  }
}


const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toConnection(r: ConnectionRecord, service: Pick<ServiceDefinition, 'name'> | undefined): Connection {
  const missingService = service === undefined;
  return {
    id: r.id,
    userId: r.userId,
    serviceId: r.serviceId,
    serviceName: service?.name ?? r.serviceId,
    label: r.label,
    authMethod: r.authMethod,
    scopes: r.scopes,
    state: missingService ? 'error' : r.state === 'pending' ? 'error' : r.state,
    stateReason: missingService ? `The service "${r.serviceId}" is no longer in the catalog (was its connector file removed?).` : r.stateReason,
    account: r.account,
    secretHint: r.secretHint,
    fields: r.fields,
    createdAt: new Date(r.createdAt).toISOString(),
    lastUsedAt: iso(r.lastUsedAt),
    expiresAt: iso(r.expiresAt),
    lastTest:
      r.lastTestAt === null || r.lastTestStatus === null
        ? null
        : {
            status: r.lastTestStatus as NonNullable<Connection['lastTest']>['status'],
            ok: r.lastTestStatus === 'ok',
            at: new Date(r.lastTestAt).toISOString(),
            message: r.lastTestMessage ?? '',
          },
  };
}
