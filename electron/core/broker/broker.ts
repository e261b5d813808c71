import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { ServiceDefinition } from '../catalog/schema';
import { expandTemplate, joinUrl, resolveAllowedHosts, isUrlAllowed } from '../catalog/templates';
import type { ConnectionRecord, ConnectionStore } from '../connections/connection-store';
import type { ConnectionService } from '../connections/connection-service';
import { CredentialMissingError, type Attachment, type Credentials, type ResolvedCredential } from '../credentials';
import { errnoOf, SophonError } from '../errors';
import { proxyRefusal } from '../import/broker-policy';
import { isLinked } from '../import/linked';
import { chooseAddress, systemResolver, type Resolver } from './addresses';
import type { AuditEntry, AuditOutcome } from '../audit/audit-log';
import { callRefusal } from './call-limits';
import { decompressUndeclared } from './compressed-body';
import { BrokerRefusal, checkTarget, DROPPED_RESPONSE_HEADERS, forwardableHeaders, METHODS, assertHeaderValue } from './request-guard';
import type { BrokerSettings } from './settings';
import type { BrokerBinding, BrokerTokens, TokenCheck } from './token-store';
import { UpstreamPools } from './upstream-pools';

/** One API call a skill asks for, from the HTTP proxy form or the function-call form alike. */
export interface ApiCall {
  /** The broker token the skill presented. */
  token: string | undefined;
  /** A connection id, or a service id when the token is bound to one connection of that service. */
  connection: string;
  method: string;
  /** Path (and query) under the service's base URL, exactly as the skill sent it. */
  target: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer;
  /** The skill the caller says it is (X-Sophon-Skill), checked against the token. */
  claimedSkill?: string;
}

export interface ApiResult {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export interface BrokerDeps {
  /** The user this broker serves (audit rows of requests without a valid token are theirs). */
  userId: string;
  tokens: BrokerTokens;
  connections: Pick<ConnectionService, 'service'>;
  /** Where the credential of each call comes from, fresh (refreshed, re-read, or after a re-auth wait). */
  credentials: Pick<Credentials, 'resolve'>;
  store: Pick<ConnectionStore, 'get' | 'touchUsed'>;
  /** Where each call's row goes: batched, written in this process (AuditBatcher) or by another (AuditPipe). */
  audit: { record(entry: AuditEntry): void; flush(): void };
  settings: BrokerSettings;
  resolver?: Resolver;
  /** Only tokens minted for this skill are honoured (a broker started for one skill run). */
  onlySkill?: string;
  /** Told about every secret the broker holds for a call (so a runner can mask them in a skill's output). */
  onSecrets?: (secrets: string[]) => void;
  /** Certificates (PEM) trusted for services' TLS instead of Node's default CAs. */
  ca?: string[];
  /**
   * A number that changes whenever sophon.db changes, from another process or this one (SQLite's
   * data_version and total_changes). While it stays the same, token checks and connection rows are served
   * from memory (for at most a second).
   */
  dbVersion?: () => number;
  /** Called once by close(): what the broker's dependencies hold open for it. */
  release?: () => void;
  now?: () => number;
}

/** The memory caches of one generation; the object itself is the epoch credentials/ reuses a decrypted credential within. */
function newCache(version: number, generation: number, at: number) {
  return {
    version,
    generation,
    at,
    tokens: new Map<string, TokenCheck>(),
    records: new Map<string, ConnectionRecord | null>(),
    where: new Map<string, { base: string; hosts: string[] }>(),
  };
}

/** A call between its start and its audit row. */
interface PendingCall {
  what: string;
  binding: BrokerBinding | undefined;
  record: ConnectionRecord | null;
  done: boolean;
}

/** Memory caches are dropped after this long even when nothing says they changed (writes by this process). */
const CACHE_MS = 1_000;

const TOUCH_EVERY_MS = 60_000;

/**
 * The credential broker: checks a skill's broker token, builds the real request to the service's
 * base URL with the real credential attached the way the catalog says, sends it only to the service's
 * declared hosts at an address it resolved and checked itself, never follows a redirect, and returns
 * the answer with every secret it holds for that connection redacted. Every call is audited.
 */
export class Broker {
  private readonly upstreams: UpstreamPools;
  /** Attachments whose headers were checked and whose secrets the runner was told of. */
  private readonly told = new WeakSet<Attachment>();
  private readonly touched = new Map<string, number>();
  private readonly now: () => number;
  private cache = newCache(-1, -1, 0);
  /** Calls not yet audited. */
  private readonly calls = new Set<PendingCall>();

  constructor(private readonly deps: BrokerDeps) {
    this.now = deps.now ?? Date.now;
    this.upstreams = new UpstreamPools(deps.ca);
  }

  /** Runs one call; a refusal is thrown as BrokerRefusal (status, code, message). Audited either way, exactly once. */
  async execute(call: ApiCall): Promise<ApiResult> {
    const what = `${call.method} ${call.target.split('?')[0]!.slice(0, 160)}`;
    // A replayed, expired or revoked token still says whose it was: its refusal is audited under that skill.
    this.freshCache();
    const checked = call.token ? this.checkCached(call.token) : undefined;
    const pending: PendingCall = { what, binding: checked?.binding, record: null, done: false };
    this.calls.add(pending);
    try {
      const binding = this.checkToken(call, checked);
      pending.binding = binding;
      const record = (pending.record = this.pickConnection(binding, call.connection));
      const result = await this.forward(call, binding, record);
      this.finish(pending, 'ok', `${what} → ${result.status}`);
      return result;
    } catch (err) {
      const refusal = err instanceof BrokerRefusal ? err : toRefusal(err);
      this.finish(pending, refusal.outcome, `${refusal.code}: ${what}: ${refusal.message}`);
      refusal.audited = true;
      throw refusal;
    } finally {
      this.calls.delete(pending);
    }
  }

  /**
   * The call's one row. Nothing here depends on the caller's connection: a caller that hung up while the
   * service was answering still gets its row, and a call the broker stopped under (close) got it then.
   */
  private finish(pending: PendingCall, outcome: AuditOutcome, detail: string): void {
    if (pending.done) return;
    pending.done = true;
    const { binding, record } = pending;
    this.deps.audit.record({
      userId: binding?.userId ?? this.deps.userId,
      action: 'broker_use',
      outcome,
      connectionId: record?.id ?? null,
      serviceId: record?.serviceId ?? null,
      skill: binding?.skill ?? null,
      tool: binding?.tool ?? null,
      detail: detail.slice(0, 500),
    });
  }

  /** Audits a request refused by the HTTP door before it became a call (bad Host, slow client, a client that hung up, …). */
  auditRefusal(code: string, detail: string, outcome: 'denied' | 'failed' | 'aborted' = 'denied'): void {
    this.deps.audit.record({ userId: this.deps.userId, action: 'broker_use', outcome, detail: `${code}: ${detail}`.slice(0, 500) });
  }

  /**
   * Stops: a call still running (upstream, or waiting for a re-auth) is audited now as `aborted`
   * (broker_stopped), before its connections are cut, so the flush below holds a row for every call.
   */
  close(): void {
    for (const pending of this.calls) this.finish(pending, 'aborted', `broker_stopped: ${pending.what}: The broker stopped before the call finished.`);
    this.calls.clear();
    this.upstreams.close();
    this.deps.release?.();
    this.deps.audit.flush();
  }

  /** Drops the memory caches when another process wrote to sophon.db, a token was revoked here, or a second passed. */
  private freshCache(): void {
    const version = this.deps.dbVersion?.() ?? -2;
    const generation = this.deps.tokens.generation;
    const now = this.now();
    const c = this.cache;
    if (version === -2 || version !== c.version || generation !== c.generation || now - c.at > CACHE_MS || c.tokens.size > 10_000) {
      this.cache = newCache(version, generation, now);
    }
  }

  private checkCached(token: string): TokenCheck {
    let checked = this.cache.tokens.get(token);
    if (!checked) {
      checked = this.deps.tokens.check(token);
      this.cache.tokens.set(token, checked);
    }
    // Expiry is judged now, not when the check was cached.
    if (checked.ok && this.now() >= checked.binding.expiresAt) return { ok: false, reason: 'expired', binding: checked.binding };
    return checked;
  }

  private record(id: string): ConnectionRecord | null {
    if (this.cache.records.has(id)) return this.cache.records.get(id)!;
    const r = this.deps.store.get(id);
    this.cache.records.set(id, r);
    return r;
  }

  private checkToken(call: ApiCall, checked: TokenCheck | undefined): BrokerBinding {
    if (!call.token || !checked) throw new BrokerRefusal(401, 'token_missing', 'Present a broker token: "Authorization: Bearer <token>" or "X-Sophon-Broker-Token: <token>".');
    if (!checked.ok) {
      const messages = {
        unknown: ['token_invalid', 'The broker token is not one Sophon issued.'],
        expired: ['token_expired', 'The broker token has expired; ask for a new one.'],
        revoked: ['token_revoked', 'The broker token was revoked.'],
      } as const;
      const [code, message] = messages[checked.reason];
      throw new BrokerRefusal(401, code, message);
    }
    const binding = checked.binding;
    if (this.deps.onlySkill !== undefined && binding.skill !== this.deps.onlySkill) {
      throw new BrokerRefusal(403, 'skill_mismatch', `This broker serves the skill "${this.deps.onlySkill}"; the token was minted for another skill.`);
    }
    if (call.claimedSkill !== undefined && call.claimedSkill !== binding.skill) {
      throw new BrokerRefusal(403, 'skill_mismatch', 'The broker token was minted for another skill.');
    }
    return binding;
  }

  private pickConnection(binding: BrokerBinding, ref: string): ConnectionRecord {
    const records = binding.connectionIds.map((id) => this.record(id)).filter((r): r is ConnectionRecord => r !== null && r.userId === binding.userId);
    const byId = records.find((r) => r.id === ref);
    // A manifest's service id also names the connection of its family the token was minted with.
    const matches = byId ? [byId] : records.filter((r) => r.serviceId === ref || binding.calls?.[r.id]?.service === ref);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new BrokerRefusal(400, 'connection_ambiguous', `The token is bound to several ${ref} connections: name one of ${matches.map((m) => m.id).join(', ')}.`);
    }
    // A connection the token was minted for that was removed since: named by its id, or by its service (ids
    // are "<service>-<random>"; a removed row no longer says its service).
    const removed = binding.connectionIds.filter((id) => (id === ref || id.startsWith(`${ref}-`)) && this.record(id) === null);
    if (removed.length) throw new BrokerRefusal(404, 'connection_not_found', `The connection ${removed[0]} the token was minted for was removed.`);
    throw new BrokerRefusal(403, 'connection_not_bound', 'The broker token was not minted for that connection.');
  }

  private async forward(call: ApiCall, binding: BrokerBinding, record: ConnectionRecord): Promise<ApiResult> {
    // The connection's own record first (it holds even for a service gone from the catalog), then the catalog's rule.
    const conn = { serviceId: record.serviceId, fields: record.fields };
    const imported = proxyRefusal(conn);
    if (imported) throw new BrokerRefusal(403, 'connection_policy', imported);
    const service = await this.deps.connections.service(record.serviceId);
    const policy = proxyRefusal(conn, service);
    if (policy) throw new BrokerRefusal(403, 'connection_policy', policy);
    const missing = (binding.scopes[record.id] ?? []).filter((s) => !record.scopes.includes(s));
    if (missing.length) throw new BrokerRefusal(403, 'scope_not_granted', `The connection no longer has the scope(s) ${missing.join(' ')}.`);
    const method = call.method.toUpperCase();
    if (!METHODS.has(method)) throw new BrokerRefusal(405, 'method_not_allowed', `Method ${method.slice(0, 20)} is not forwarded.`);
    const target = checkTarget(call.target);
    // A token minted for a manifest is held to it; a connection it lists no limits for gets nothing (fail closed).
    const limits = binding.calls?.[record.id];
    const outside = binding.calls === null ? null : limits ? callRefusal(limits, method, target) : 'The skill\'s manifest declares nothing for this connection.';
    if (outside) throw new BrokerRefusal(403, 'not_in_manifest', outside);

    // The URL first, from the catalog and the connection's (non-secret) fields: nothing is fetched for a bad one.
    const where = this.whereTo(record, service);
    const url = new URL(joinUrl(where.base, target));
    const tokenHosts = binding.allowedHosts[record.id] ?? [];
    const allowed = where.hosts.filter((h) => tokenHosts.includes(h));
    if (url.username || url.password || !isUrlAllowed(url.href, allowed) || !/^https?:$/.test(url.protocol)) {
      throw new BrokerRefusal(403, 'host_not_allowed', `The request would leave the hosts ${record.serviceId} declares.`);
    }

    const attachment = await this.attachment(record, service);
    const headers = forwardableHeaders(call.headers, attachment.headerNames);
    for (const [name, value] of attachment.query) url.searchParams.set(name, value);
    for (const [name, value] of attachment.headers) headers[name] = value;
    headers['accept-encoding'] = 'identity';
    const redactor = attachment.redactor;

    const decision = await chooseAddress(url.hostname, service.local, this.deps.resolver ?? systemResolver);
    if (!decision.ok) throw new BrokerRefusal(403, 'address_refused', decision.reason);

    const upstream = await this.send(url, method, headers, call.body, decision);
    this.touch(record.id);
    const status = upstream.status;
    if (status >= 300 && status < 400 && upstream.headers.location) {
      const location = String(upstream.headers.location);
      const to = URL.canParse(location, url.href) ? new URL(location, url.href) : undefined;
      if (!to || !isUrlAllowed(to.href, allowed)) {
        throw new BrokerRefusal(502, 'redirect_refused', `${url.host} redirected to another host; the broker does not follow or pass on redirects that leave ${record.serviceId}.`);
      }
    }
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
      out[name] = Array.isArray(value) ? value.map((v) => redactor.text(v)) : redactor.text(value);
    }
    const body = redactor.buffer(upstream.body);
    // A compressed body sent without Content-Encoding hides the secret from the scan above. Passing it on
    // unchanged keeps a real .gz download intact; rewriting it (decompressed) would hand a client other bytes
    // than it asked for, so one that holds a secret is refused instead.
    if (!redactor.empty) {
      const inner = decompressUndeclared(body, this.deps.settings.MaxResponseBytes);
      if (inner && redactor.buffer(inner) !== inner) {
        throw new BrokerRefusal(502, 'compressed_secret', `${url.host} sent a compressed body without Content-Encoding that holds a credential; it was not passed on.`, 'failed');
      }
    }
    return { status, headers: out, body };
  }

  /**
   * The credential, resolved by credentials/ (which refreshes it, re-reads a linked login, or holds the
   * call while the connection needs re-auth), and how it goes on the request. Within one cache generation
   * the decrypted credential is reused without touching its file.
   */
  private async attachment(record: ConnectionRecord, service: ServiceDefinition): Promise<Attachment> {
    let resolved: ResolvedCredential;
    try {
      resolved = await this.deps.credentials.resolve({
        userId: record.userId,
        connection: record,
        purpose: 'proxy',
        service,
        waitForReauth: { waitMs: this.deps.settings.ReauthWaitSeconds * 1000, pollMs: 250 },
        epoch: this.cache,
      });
    } catch (err) {
      if (err instanceof CredentialMissingError) throw new BrokerRefusal(502, 'credential_missing', `The credential of ${record.id} is missing from the vault.`, 'failed');
      if (err instanceof SophonError && err.code === 'auth_failed') {
        // A linked login says itself what went wrong with it (logged out, another account).
        const message = isLinked(record.fields) ? err.message : `${record.id} needs the person to sign in again (\`sophon connect reauth ${record.id}\`).`;
        throw new BrokerRefusal(503, 'connection_needs_reauth', message, 'failed');
      }
      throw err;
    }
    // A refresh, a re-read login or a re-auth may have changed the connection's row (expiry, state).
    if (resolved.source !== 'vault') this.cache.records.delete(record.id);
    const attachment = resolved.attachment();
    if (!this.told.has(attachment)) {
      for (const [name, value] of attachment.headers) assertHeaderValue(name, value);
      this.told.add(attachment);
      this.deps.onSecrets?.(attachment.secrets);
    }
    return attachment;
  }

  /** The service's base URL and hosts for this connection's fields (remembered with the connection row). */
  private whereTo(record: ConnectionRecord, service: ServiceDefinition): { base: string; hosts: string[] } {
    const cached = this.cache.where.get(record.id);
    if (cached) return cached;
    const where = { base: expandTemplate(service.apiBaseUrl, { fields: record.fields }), hosts: resolveAllowedHosts(service, record.fields) };
    this.cache.where.set(record.id, where);
    return where;
  }

  private touch(id: string): void {
    const last = this.touched.get(id) ?? 0;
    const now = this.now();
    if (now - last < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    this.deps.store.touchUsed(id, now);
  }

  private send(url: URL, method: string, plain: Record<string, string>, body: Buffer | undefined, to: { address: string; family: 4 | 6 }): Promise<Upstream> {
    // Connect to the address checked above, never to a fresh lookup: the name (Host, TLS servername) stays
    // the service's. Pools are kept by address (and servername), so a reused connection is always one to
    // the address this call checked, even if the name resolves elsewhere by now.
    plain.host = url.host;
    const max = this.deps.settings.MaxResponseBytes;
    const timeout = this.deps.settings.UpstreamTimeoutSeconds * 1000;
    const request = { method, path: `${url.pathname}${url.search}`, headers: plain, body: body && body.length > 0 ? body : undefined, headersTimeout: timeout, bodyTimeout: timeout };
    return new Promise((resolve, reject) => {
      // The dispatcher's callbacks, not a response stream: the answer is read whole (to be redacted) anyway.
      let status = 0;
      let headers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let size = 0;
      this.upstreams.pool(url, to).dispatch(request as Dispatcher.DispatchOptions, {
        // Present so undici takes these for its current handler interface (onResponse*), not the old one.
        onRequestStart() {},
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode;
          headers = responseHeaders;
        },
        onResponseData(controller, chunk) {
          size += chunk.length;
          if (size > max) controller.abort(new BrokerRefusal(502, 'response_too_large', `The service's answer is larger than ${max} bytes (Sophon.Broker.MaxResponseBytes).`, 'failed'));
          else chunks.push(chunk);
        },
        onResponseEnd() {
          try {
            resolve({ status, headers, body: decode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), headers['content-encoding'], max) });
          } catch (err) {
            reject(err);
          }
        },
        onResponseError(_controller, err) {
          reject(unreachable(url, err));
        },
      });
    });
  }
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A compressed answer is decompressed (within the size cap) so it can be redacted. */
function decode(body: Buffer, encoding: string | string[] | undefined, max: number): Buffer {
  const enc = String(encoding ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '' || body.length === 0) return body;
  const opts = { maxOutputLength: max };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(body, opts);
    if (enc === 'deflate') return inflateSync(body, opts);
    if (enc === 'br') return brotliDecompressSync(body, opts);
  } catch (err) {
    if (errnoOf(err) === 'ERR_BUFFER_TOO_LARGE' || (err instanceof RangeError)) {
      throw new BrokerRefusal(502, 'response_too_large', `The service's answer is larger than ${max} bytes once decompressed.`, 'failed');
    }
    throw new BrokerRefusal(502, 'upstream_bad_response', 'The service sent a body that does not decompress.', 'failed');
  }
  throw new BrokerRefusal(502, 'upstream_bad_response', `The service used a content encoding the broker cannot redact (${enc.slice(0, 20)}).`, 'failed');
}

function unreachable(url: URL, err: unknown): BrokerRefusal {
  if (err instanceof BrokerRefusal) return err;
  const code = errnoOf(err);
  return new BrokerRefusal(502, 'upstream_unreachable', `${url.host} could not be reached${code ? ` (${code})` : ''}.`, 'failed');
}

function toRefusal(err: unknown): BrokerRefusal {
  if (err instanceof SophonError) {
    const status = err.code === 'not_found' ? 404 : err.code === 'invalid_input' ? 400 : err.code === 'unreachable' ? 502 : err.code === 'auth_failed' ? 503 : 500;
    return new BrokerRefusal(status, err.code === 'not_found' ? 'connection_not_found' : `core_${err.code}`, err.message, 'failed');
  }
  // Never the raw message: it could quote anything.
  return new BrokerRefusal(500, 'internal', 'The broker failed unexpectedly.', 'failed');
}
