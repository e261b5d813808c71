import type { ServiceDefinition } from '../catalog/schema';
import type { ConnectionRecord } from '../connections/connection-store';
import { secretOf } from '../connections/credential-mapping';
import { SophonError } from '../errors';
import type { OAuthRefresher, RefreshOptions, RefreshStore } from '../oauth/refresh';
import type { CredentialData, CredentialRef, StoredCredential } from '../vault/credential';
import { attachmentFor, secretValues, type Attachment } from './attach';
import { needsRefresh } from './freshness';

/**
 * What a credential is resolved for. `inject` hands the secret out of Sophon's hands (a skill's
 * environment, a caller's variable) and is recorded as a use of the connection; `proxy` callers record
 * their use once the service answered, `test` callers record the test.
 */
export type CredentialPurpose = 'proxy' | 'inject' | 'test';

/** How long a resolve holds while its connection needs the person to sign in again (from any process). */
export interface ReauthWait {
  waitMs: number;
  /** How often the connection's row is looked at meanwhile (default 500 ms). */
  pollMs?: number;
}

export interface ResolveRequest {
  userId: string;
  connection: ConnectionRecord;
  purpose: CredentialPurpose;
  /** Absent: a connection that needs re-auth fails at once (auth_failed). */
  waitForReauth?: ReauthWait;
  /** The connection's service, when the caller has it already. */
  service?: ServiceDefinition;
  /**
   * An object that is replaced whenever sophon.db may have changed (the broker's cache generation).
   * While the same one is passed, a decrypted credential is reused without looking at its file; with a
   * new one, the file is looked at (one stat) and decrypted only if it changed. Every change of a
   * credential by Sophon is followed by a commit to sophon.db, so a new epoch always follows it.
   */
  epoch?: object;
}

export interface ResolvedCredential {
  /** The whole credential (for a linked login, as its owner holds it now). */
  credential: StoredCredential;
  /** The secret the service's attach rules use (`{secret}`): an access token, API key, password, … */
  secret: string | undefined;
  service: ServiceDefinition;
  /** Where it came from: the vault (as stored, fresh), a refresh, another program's store, or after a re-auth was waited for. */
  source: 'vault' | 'refreshed' | 'linked' | 'reauthed';
  /** How to attach it to a request, and what to redact; computed once per credential. */
  attachment(): Attachment;
}

/** The vault as credentials/ uses it: encrypted records, and a cross-process hold of one for a refresh. */
export interface CredentialRecords {
  get(userId: string, connectionId: string): Promise<StoredCredential | null>;
  put(userId: string, connectionId: string, data: CredentialData): Promise<void>;
  holdExclusive(ref: CredentialRef, waitMs: number): Promise<(() => Promise<void>) | null>;
  /** Changes whenever a record is rewritten; without it, nothing decrypted is reused. */
  changeStamp?(userId: string, connectionId: string): string | undefined;
}

/** Credentials re-read from another program's store (imported CLI logins) instead of the vault. */
export interface LinkedCredentials {
  isLinked(record: ConnectionRecord): boolean;
  /** The current credential; an auth_failed error (with the connection set to needs_reauth) when it cannot be used. */
  credential(record: ConnectionRecord): Promise<StoredCredential>;
}

export interface CredentialsDeps {
  vault: CredentialRecords;
  /** A connection's current row (read again while a resolve waits for a re-auth). */
  connection: (id: string) => ConnectionRecord | null;
  service: (serviceId: string) => Promise<ServiceDefinition>;
  linked?: LinkedCredentials;
  /** The OAuth refresher, built on first need (over `refreshStore(vault)`). */
  refresher: () => Promise<OAuthRefresher>;
  /** Told of tokens that a refresh brought (a new expiry, maybe fewer scopes), for the connection's row. */
  onRefreshed?: (ref: CredentialRef, credential: StoredCredential) => void;
  /** Told of a resolve for `inject` (the connection's last use). */
  onUsed?: (record: ConnectionRecord) => void;
  now?: () => number;
}

/** Thrown when a connection that should have a vault record has none. */
export class CredentialMissingError extends SophonError {
  constructor(readonly connectionId: string) {
    super('vault_file_corrupt', `The credential of ${connectionId} is missing from the vault; remove the connection and add it again.`);
  }
}

/** The vault's records as the OAuth refresher reads, writes and locks them. */
export function refreshStore(vault: CredentialRecords): RefreshStore {
  return {
    read: (ref) => vault.get(ref.userId, ref.connectionId),
    write: (ref, data) => vault.put(ref.userId, ref.connectionId, data),
    lock: (ref, waitMs) => vault.holdExclusive(ref, waitMs),
  };
}

interface Cached {
  stamp: string;
  credential: StoredCredential;
  epoch: object;
}

interface Prepared {
  /** The values it was computed from (secrets and fields), for when the objects are new but the same. */
  key: string;
  credential: StoredCredential;
  fields: Record<string, string>;
  service: ServiceDefinition;
  secret: string | undefined;
  attachment: Attachment;
}

/**
 * The one place a credential is resolved. Every door (broker, testers, skills, MCP through the broker,
 * `connect` commands) calls `resolve`, which alone decides freshness: an OAuth token within the refresh
 * margin (freshness.ts) is refreshed first, once across callers and processes (the refresher's lock); a
 * linked CLI login is re-read from the program that owns it on every resolve; a connection that needs
 * re-auth fails, or holds for `waitForReauth` until the person signs in again. The vault only stores.
 */
export class Credentials {
  private readonly now: () => number;
  private readonly cached = new Map<string, Cached>();
  private readonly prepared = new Map<string, Prepared>();

  constructor(private readonly deps: CredentialsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async resolve(request: ResolveRequest): Promise<ResolvedCredential> {
    const { userId, purpose, waitForReauth, epoch } = request;
    const id = request.connection.id;
    if (request.connection.userId !== userId) throw new SophonError('not_found', `No connection ${id} for user ${userId}.`);
    const deadline = this.now() + (waitForReauth?.waitMs ?? 0);
    let record: ConnectionRecord | null = request.connection;
    let waited = false;
    for (;;) {
      if (!record || record.userId !== userId) throw new SophonError('not_found', `Connection ${id} was removed while a call waited for it.`);
      const service = request.service?.id === record.serviceId ? request.service : await this.deps.service(record.serviceId);
      const linked = this.isLinked(record);
      let linkedError: SophonError | undefined;
      if (linked || record.state !== 'needs_reauth') {
        try {
          const resolved = await this.once(record, service, linked, epoch);
          if (waited && resolved.source === 'vault') resolved.source = 'reauthed';
          if (purpose === 'inject') this.deps.onUsed?.(record);
          return resolved;
        } catch (err) {
          // Only a refusal that left the connection needing re-auth is waited out; anything else is the answer.
          if (!(err instanceof SophonError) || err.code !== 'auth_failed' || this.deps.connection(id)?.state !== 'needs_reauth') throw err;
          if (linked) linkedError = err;
        }
      }
      if (!waitForReauth || this.now() >= deadline) {
        if (linkedError) throw linkedError;
        throw new SophonError('auth_failed', `${record.label} needs you to sign in again (\`sophon connect reauth ${id}\`); the call waited and gave up.`);
      }
      await new Promise((resolve) => setTimeout(resolve, waitForReauth.pollMs ?? 500));
      waited = true;
      record = this.deps.connection(id);
    }
  }

  /** The credential as stored, without deciding anything (for rewriting it, backing it up, revoking it). */
  read(ref: CredentialRef): Promise<StoredCredential | null> {
    return this.deps.vault.get(ref.userId, ref.connectionId);
  }

  /** Refreshes an OAuth connection now; `force` refreshes even a fresh token and skips the cooldown. */
  async refresh(ref: CredentialRef, options: RefreshOptions = {}): Promise<StoredCredential> {
    const next = await (await this.deps.refresher()).refresh(ref, options);
    this.deps.onRefreshed?.(ref, next);
    return next;
  }

  private isLinked(record: ConnectionRecord): boolean {
    return this.deps.linked?.isLinked(record) === true;
  }

  private async once(record: ConnectionRecord, service: ServiceDefinition, linked: boolean, epoch: object | undefined): Promise<ResolvedCredential> {
    if (linked) {
      // Never cached and never refreshed here: the program that owns the login may have refreshed it meanwhile.
      const credential = await this.deps.linked!.credential(record);
      const secret = credential.accessToken ?? credential.apiKey;
      if (secret === undefined) throw new SophonError('not_found', `Connection ${record.id} has no access token or API key.`);
      return this.result(record, service, credential, secret, 'linked');
    }
    const ref = { userId: record.userId, connectionId: record.id };
    let credential = await this.stored(ref, epoch);
    if (!credential) throw new CredentialMissingError(record.id);
    if (service.auth.method !== 'oauth2') return this.result(record, service, credential, secretOf(service, credential), 'vault');
    let source: ResolvedCredential['source'] = 'vault';
    if (needsRefresh(credential, this.now())) {
      const next = await (await this.deps.refresher()).refreshStale(ref, credential);
      if (next !== credential) {
        this.deps.onRefreshed?.(ref, next);
        this.remember(ref, next, epoch);
        source = 'refreshed';
      }
      credential = next;
    }
    if (!credential.accessToken) throw new SophonError('not_found', `Connection ${record.id} has no access token stored.`);
    return this.result(record, service, credential, credential.accessToken, source);
  }

  private result(record: ConnectionRecord, service: ServiceDefinition, credential: StoredCredential, secret: string | undefined, source: ResolvedCredential['source']): ResolvedCredential {
    return { credential, secret, service, source, attachment: () => this.attachment(record, service, credential, secret) };
  }

  /**
   * Reused while the credential, the connection's fields, the service and the secret are the same objects,
   * or else hold the same values: the broker re-reads a connection's row at every change of sophon.db (each
   * audit flush), and building the redactor again each time would cost more than the call.
   */
  private attachment(record: ConnectionRecord, service: ServiceDefinition, credential: StoredCredential, secret: string | undefined): Attachment {
    const id = `${record.userId}/${record.id}`;
    const last = this.prepared.get(id);
    if (last && last.credential === credential && last.fields === record.fields && last.service === service && last.secret === secret) return last.attachment;
    const key = `${[secret, ...secretValues(credential)].join('\0')}\0${JSON.stringify(record.fields)}`;
    if (last && last.key === key && last.service === service) {
      Object.assign(last, { credential, fields: record.fields, secret });
      return last.attachment;
    }
    const attachment = attachmentFor(service, record.fields, credential, secret);
    this.prepared.set(id, { key, credential, fields: record.fields, service, secret, attachment });
    return attachment;
  }

  private async stored(ref: CredentialRef, epoch: object | undefined): Promise<StoredCredential | null> {
    const vault = this.deps.vault;
    if (!epoch || !vault.changeStamp) return vault.get(ref.userId, ref.connectionId);
    const key = `${ref.userId}/${ref.connectionId}`;
    const cached = this.cached.get(key);
    if (cached && cached.epoch === epoch) return cached.credential;
    const stamp = vault.changeStamp(ref.userId, ref.connectionId);
    if (stamp && cached?.stamp === stamp) {
      cached.epoch = epoch;
      return cached.credential;
    }
    const credential = await vault.get(ref.userId, ref.connectionId);
    if (credential && stamp) this.cached.set(key, { stamp, credential, epoch });
    else this.cached.delete(key);
    return credential;
  }

  private remember(ref: CredentialRef, credential: StoredCredential, epoch: object | undefined): void {
    const stamp = epoch ? this.deps.vault.changeStamp?.(ref.userId, ref.connectionId) : undefined;
    const key = `${ref.userId}/${ref.connectionId}`;
    if (stamp && epoch) this.cached.set(key, { stamp, credential, epoch });
    else this.cached.delete(key);
  }
}
