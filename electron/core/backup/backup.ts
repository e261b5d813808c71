import { linkSync, promises as fsp, renameSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log';
import type { SophonPaths } from '../config/paths';
import type { Settings } from '../config/settings';
import type { ConnectionStore } from '../connections/connection-store';
import type { MasterKeyStore } from '../keys/master-key';
import type { LocalVaultBackend } from '../vault/local-vault';
import { errnoOf, isSophonError, SophonError } from '../errors';
import { storageWriteError } from '../fs/storage-errors';
import { createFileExclusive, ensurePrivateDir, fsyncDir, readFileIfExists, tempPathFor, writeTemp } from '../fs/secure-fs';
import { isLinked } from '../import/linked';
import { CredentialDataSchema, type StoredCredential } from '../vault/credential';
import { encryptVaultFile } from '../vault/format';
import { isValidId, vaultFileName } from '../vault/ids';
import { oauthClientSecretName, SystemSecrets, systemDir } from '../vault/system-secrets';

/**
 * What a backup and a restore work on, given by the composition (`deps.backup`): a restore writes
 * rows and vault files together, below the connection service's one-at-a-time rules.
 */
export interface BackupDeps {
  store: ConnectionStore;
  vault: LocalVaultBackend;
  /** Reads of what is stored, checked against sophon.db (rollback): the one read path. */
  credentials: Pick<Credentials, 'read'>;
  paths: SophonPaths;
  settings: Settings;
  keys: MasterKeyStore;
  systemSecrets: SystemSecrets;
  audit: AuditLog;
}
import type { Credentials } from '../credentials';
import { setRestoredOAuthClients } from '../config/oauth-clients';
import { validateConnectorText } from '../catalog/catalog';
import { BackupFileError, normalizePassphrase, openBackup, SCHEDULE_KEY_SECRET, sealBackup, type SealOptions } from './backup-format';


const ConnectorFileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.json$/, 'not a connector file name');
const MAX_CONNECTOR_BYTES = 1024 * 1024;

/** What a backup holds, inside its encryption. Secrets are only ever here and in the vault. */
const ConnectionEntrySchema = z.strictObject({
  id: z.string().refine(isValidId, 'not a valid connection id'),
  userId: z.string().refine(isValidId, 'not a valid user id'),
  serviceId: z.string().min(1).max(200),
  label: z.string().min(1).max(500),
  authMethod: z.string().min(1).max(100),
  scopes: z.array(z.string()),
  fields: z.record(z.string(), z.string()),
  account: z.string().nullable(),
  secretHint: z.string().nullable(),
  createdAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative().nullable(),
  generation: z.number().int().nonnegative(),
  /** An imported CLI login that Sophon links to: its secret stays with that CLI, so there is none here. */
  linked: z.boolean(),
  credential: CredentialDataSchema.nullable(),
});
const BackupBodySchema = z.strictObject({
  format: z.literal(1),
  createdAt: z.number().int().nonnegative(),
  connections: z.array(ConnectionEntrySchema),
  systemSecrets: z.array(z.strictObject({ name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/), value: z.string().min(1) })),
  /** `Sophon.OAuth.<service>` registrations (client ids; their secrets are among systemSecrets), so a restored OAuth connection can refresh. */
  oauthClients: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/), z.strictObject({ clientId: z.string().min(1), secretInVault: z.boolean() })),
  /** The person's connector files (`connectors/*.json`), as they were: a restored connection of such a service needs its definition. Absent in backups made before connectors travelled. */
  connectors: z.array(z.strictObject({ file: ConnectorFileName, text: z.string().max(MAX_CONNECTOR_BYTES) })).optional(),
});
export type BackupBody = z.output<typeof BackupBodySchema>;
type ConnectionEntry = BackupBody['connections'][number];


export interface BackupSummary {
  file: string;
  connections: number;
  linked: number;
  systemSecrets: number;
  bytes: number;
}

/** Every connection (all users), its credential, and Sophon's own secrets, in one body to seal. */
export async function collectBackup(deps: BackupDeps): Promise<BackupBody> {
  const rows = deps.store.list().filter((r) => r.state !== 'pending');
  const entry = async (r: (typeof rows)[number]): Promise<ConnectionEntry> => {
    const linked = isLinked(r.fields);
    let credential: StoredCredential | null = null;
    if (!linked) {
      // Read as stored (never refreshed), checked against sophon.db: a file put back (rolled back) or damaged stops the backup instead of being copied.
      credential = await deps.credentials.read({ userId: r.userId, connectionId: r.id });
      if (!credential) {
        throw new SophonError('vault_file_corrupt', `Connection ${r.id} (${r.label}) has no credential in the vault, so no backup was written. Remove it or add it again, then back up.`);
      }
    }
    return {
      id: r.id,
      userId: r.userId,
      serviceId: r.serviceId,
      label: r.label,
      authMethod: r.authMethod,
      scopes: r.scopes,
      fields: r.fields,
      account: r.account,
      secretHint: r.secretHint,
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      generation: deps.store.vaultGeneration(r.id, r.userId) ?? 0,
      linked,
      credential,
    };
  };
  const connections: ConnectionEntry[] = [];
  // A few files at a time: one by one, reading 10,000 of them is most of a large backup's time.
  for (let i = 0; i < rows.length; i += 32) connections.push(...(await Promise.all(rows.slice(i, i + 32).map(entry))));
  const systemSecrets: BackupBody['systemSecrets'] = [];
  for (const file of await SystemSecrets.fileNames(deps.paths)) {
    const name = file.slice(0, -'.vault'.length);
    // The schedule's key stays with this machine: a backup must not carry a key to the next backups.
    if (name === SCHEDULE_KEY_SECRET) continue;
    const value = await deps.systemSecrets.get(name);
    if (value !== null) systemSecrets.push({ name, value });
  }
  const oauthClients: BackupBody['oauthClients'] = {};
  for (const [serviceId, reg] of Object.entries(deps.settings.Sophon.OAuth)) {
    if (!/^[a-z0-9][a-z0-9-]{0,99}$/.test(serviceId) || typeof reg.ClientId !== 'string' || !reg.ClientId) continue;
    oauthClients[serviceId] = { clientId: reg.ClientId, secretInVault: systemSecrets.some((s) => s.name === oauthClientSecretName(serviceId)) };
  }
  return { format: 1, createdAt: Date.now(), connections, systemSecrets, oauthClients, connectors: await collectConnectors(deps.paths.connectorsDir) };
}

/** Every `*.json` in the connectors folder, valid or not (a restore puts back what was there; the catalog judges it). */
async function collectConnectors(dir: string): Promise<NonNullable<BackupBody['connectors']>> {
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).filter((n) => ConnectorFileName.safeParse(n).success).sort();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw err;
  }
  const out: NonNullable<BackupBody['connectors']> = [];
  for (const file of names) {
    const data = await readFileIfExists(join(dir, file));
    if (data === null) continue;
    if (data.length > MAX_CONNECTOR_BYTES) throw new SophonError('invalid_input', `The connector file ${join(dir, file)} is larger than ${MAX_CONNECTOR_BYTES} bytes, so no backup was written.`);
    out.push({ file, text: data.toString('utf8') });
  }
  return out;
}

/** Writes a new backup file (0600); an existing file is never overwritten. */
export async function writeBackup(deps: BackupDeps, out: string, passphrase: string | null, seal: SealOptions = {}): Promise<BackupSummary> {
  const body = await collectBackup(deps);
  const data = await sealBackup(passphrase === null ? null : normalizePassphrase(passphrase), Buffer.from(JSON.stringify(body), 'utf8'), seal);
  const created = await createFileExclusive(out, data).catch((err: unknown) => {
    // The generic write error suggests another SOPHON_HOME; a backup's folder is the person's own choice.
    if (isSophonError(err) && err.code === 'storage_readonly') throw new SophonError('storage_readonly', err.message.replace(/, or set SOPHON_HOME to a writable folder\.$/, ', or choose another folder for backups.'), { cause: err });
    throw err;
  });
  if (!created) {
    throw new SophonError('invalid_input', `${out} already exists; Sophon does not overwrite a file with a backup. Choose another name, or remove it first.`);
  }
  const userIds = new Set(body.connections.map((c) => c.userId));
  for (const userId of userIds.size ? userIds : new Set(['default'])) {
    deps.audit.record({ userId, action: 'backup', outcome: 'ok', detail: `backed up ${body.connections.filter((c) => c.userId === userId).length} connection(s) to ${out}` });
  }
  return { file: out, connections: body.connections.length, linked: body.connections.filter((c) => c.linked).length, systemSecrets: body.systemSecrets.length, bytes: data.length };
}

/** Opens and checks a backup file: the passphrase, the integrity of every byte, and the shape of what is inside. */
export async function readBackup(file: string, passphrase: string): Promise<BackupBody> {
  const data = await readFileIfExists(file);
  if (data === null) throw new SophonError('not_found', `No backup file at ${file}.`);
  const plain = await openBackup(file, data, normalizePassphrase(passphrase));
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new BackupFileError(file, 'decrypted, but does not hold a backup (not JSON).');
  }
  const body = BackupBodySchema.safeParse(parsed);
  if (!body.success) {
    // Paths only: the values may be secrets.
    throw new BackupFileError(file, `decrypted, but its content is not valid (${body.error.issues.slice(0, 3).map((i) => i.path.join('.') || '(root)').join(', ')}).`);
  }
  const ids = new Set<string>();
  for (const c of body.data.connections) {
    if (ids.has(c.id)) throw new BackupFileError(file, `holds connection ${c.id} twice.`);
    ids.add(c.id);
    if (!c.linked && !c.credential) throw new BackupFileError(file, `holds connection ${c.id} without its credential.`);
  }
  return body.data;
}

export type RestoreMode = 'merge' | 'replace';

export interface RestoreItem {
  id: string;
  userId: string;
  serviceId: string;
  label: string;
  /** add: new here; replace: the backup's copy takes the place of this machine's; keep: this machine's stays. */
  action: 'add' | 'replace' | 'keep';
  /** Why, for conflicts and for anything a person must do next. */
  note: string | null;
  linked: boolean;
}

export interface RestoreReport {
  mode: RestoreMode;
  applied: boolean;
  connections: RestoreItem[];
  systemSecrets: { name: string; action: 'add' | 'replace' | 'keep' | 'same'; note: string | null }[];
  /** OAuth client registrations (Sophon.OAuth in appsettings.json). */
  oauthClients: { serviceId: string; clientId: string; action: 'add' | 'replace' | 'keep' | 'same'; note: string | null }[];
  /** Connector files (`connectors/*.json`): a different file of the same name, or another file defining the same service id, is a conflict. */
  connectors: { file: string; serviceId: string | null; action: 'add' | 'replace' | 'keep' | 'same'; note: string | null }[];
}

/** What a restore would do here, conflict by conflict; changes nothing. */
export async function planRestore(deps: BackupDeps, body: BackupBody, mode: RestoreMode): Promise<RestoreReport> {
  const items: RestoreItem[] = [];
  const takenLabels = new Set(deps.store.list().map((r) => labelKey(r.userId, r.serviceId, r.label)));
  const onDisk = new Set((await deps.vault.list()).map((f) => `${f.userId}_${f.connectionId}`));
  for (const c of body.connections) {
    const existing = deps.store.get(c.id);
    const linkNote = c.linked ? 'imported CLI login, linked: its secret is not in the backup; the same CLI must be signed in on this machine' : null;
    const item: RestoreItem = { id: c.id, userId: c.userId, serviceId: c.serviceId, label: c.label, action: 'add', note: linkNote, linked: c.linked };
    if (existing && existing.userId !== c.userId) {
      item.action = 'keep';
      item.note = `connection id ${c.id} belongs to another user's connection here; not restored`;
    } else if (existing) {
      const what = `a connection with this id is already here ("${existing.label}", ${existing.serviceId})`;
      item.action = mode === 'replace' ? 'replace' : 'keep';
      item.note = mode === 'replace' ? `${what}: replaced by the backup's copy` : `${what}: kept this machine's (restore with --replace to take the backup's)`;
      if (mode === 'replace') takenLabels.delete(labelKey(existing.userId, existing.serviceId, existing.label));
    } else if (onDisk.has(`${c.userId}_${c.id}`) && !c.linked) {
      item.action = mode === 'replace' ? 'replace' : 'keep';
      item.note = mode === 'replace' ? 'an unlisted vault file with this id is here: replaced by the backup\'s copy' : 'an unlisted vault file with this id is here: kept (`sophon vault recover` lists it, or restore with --replace)';
    }
    if (item.action !== 'keep') {
      const label = freeLabel(takenLabels, c.userId, c.serviceId, c.label);
      if (label !== c.label) item.note = [item.note, `relabelled "${label}" ("${c.label}" is taken here)`].filter(Boolean).join('; ');
      item.label = label;
      takenLabels.add(labelKey(c.userId, c.serviceId, label));
    }
    items.push(item);
  }
  const systemSecrets: RestoreReport['systemSecrets'] = [];
  for (const s of body.systemSecrets) {
    const here = await deps.systemSecrets.get(s.name).catch(() => undefined);
    if (here === null) systemSecrets.push({ name: s.name, action: 'add', note: null });
    else if (here === s.value) systemSecrets.push({ name: s.name, action: 'same', note: null });
    else if (mode === 'replace') systemSecrets.push({ name: s.name, action: 'replace', note: 'differs here (or cannot be read): replaced by the backup\'s' });
    else systemSecrets.push({ name: s.name, action: 'keep', note: 'differs here (or cannot be read): kept this machine\'s (--replace takes the backup\'s)' });
  }
  const oauthClients: RestoreReport['oauthClients'] = [];
  for (const [serviceId, c] of Object.entries(body.oauthClients)) {
    const here = deps.settings.Sophon.OAuth[serviceId];
    const secretHere = here?.ClientSecretInVault === true || here?.ClientSecret !== undefined;
    const secretAction = systemSecrets.find((s) => s.name === oauthClientSecretName(serviceId))?.action;
    const action = !here?.ClientId
      ? 'add'
      : here.ClientId === c.clientId && (secretHere || !c.secretInVault)
        ? 'same'
        : mode === 'replace' || (here.ClientId === c.clientId && secretAction === 'add')
          ? 'replace'
          : 'keep';
    const note = action === 'keep' ? `registered here as client ${here!.ClientId}: kept (--replace takes the backup's ${c.clientId})` : null;
    oauthClients.push({ serviceId, clientId: c.clientId, action, note });
  }
  return { mode, applied: false, connections: items, systemSecrets, oauthClients, connectors: await planConnectors(deps.paths.connectorsDir, body.connectors ?? [], mode) };
}

const serviceIdOf = (text: string): string | null => {
  const v = validateConnectorText(text);
  return v.ok ? v.service.id : null;
};

async function planConnectors(dir: string, incoming: NonNullable<BackupBody['connectors']>, mode: RestoreMode): Promise<RestoreReport['connectors']> {
  const here = await collectConnectors(dir);
  const hereByFile = new Map(here.map((c) => [c.file, c.text]));
  const hereById = new Map<string, string>();
  for (const c of here) {
    const id = serviceIdOf(c.text);
    if (id !== null) hereById.set(id, c.file);
  }
  return incoming.map((c) => {
    const serviceId = serviceIdOf(c.text);
    const existing = hereByFile.get(c.file);
    const sameIdFile = serviceId === null ? undefined : hereById.get(serviceId);
    if (existing === c.text) return { file: c.file, serviceId, action: 'same' as const, note: null };
    if (existing !== undefined) {
      return mode === 'replace'
        ? { file: c.file, serviceId, action: 'replace' as const, note: `connectors/${c.file} differs here: replaced by the backup's` }
        : { file: c.file, serviceId, action: 'keep' as const, note: `connectors/${c.file} differs here: kept this machine's (--replace takes the backup's; connections of it use this machine's definition)` };
    }
    if (sameIdFile !== undefined) {
      // Two files with one id would make the catalog drop both: never written beside each other.
      return { file: c.file, serviceId, action: 'keep' as const, note: `service id "${serviceId}" is already defined here by connectors/${sameIdFile}: not restored (remove or rename that file, then restore again to take the backup's)` };
    }
    return { file: c.file, serviceId, action: 'add' as const, note: serviceId === null ? 'not a valid connector here either: restored as it was, and the catalog reports its problem' : null };
  });
}

function labelKey(userId: string, serviceId: string, label: string): string {
  return `${userId}\0${serviceId}\0${label.toLowerCase()}`;
}

function freeLabel(taken: Set<string>, userId: string, serviceId: string, wanted: string): string {
  if (!taken.has(labelKey(userId, serviceId, wanted))) return wanted;
  for (let n = 2; ; n++) {
    const label = `${wanted} (restored${n === 2 ? '' : ` ${n}`})`;
    if (!taken.has(labelKey(userId, serviceId, label))) return label;
  }
}

interface Placement {
  temp: string;
  final: string;
  /** A hard link to the file being replaced, to put back if the restore fails. */
  saved: string | null;
}

/**
 * Applies a plan, all or nothing. Every file is first sealed under this machine's key into a temp file
 * beside its final name (the secure-fs temp naming, which `vault verify` removes once its writer is
 * dead); then one IMMEDIATE SQLite transaction inserts the rows and, still inside it, renames each temp
 * into place. Any failure rolls the transaction back, moves replaced files back from their hard-link
 * copies and removes the new files and temps: nothing is changed. A kill -9 before the commit leaves
 * the old rows (SQLite's journal), dead-writer temps (removed by the next `vault verify`), and any
 * file already renamed as an unlisted, never-deleted file that `sophon vault recover` lists again
 * from its sealed metadata; a replaced file's newer generation makes it the one read.
 */
export async function applyRestore(deps: BackupDeps, body: BackupBody, plan: RestoreReport): Promise<RestoreReport> {
  const byId = new Map(body.connections.map((c) => [c.id, c]));
  const key = await deps.keys.get();
  await ensurePrivateDir(deps.paths.vaultDir);
  const placements: Placement[] = [];
  const rows: { item: RestoreItem; entry: ConnectionEntry; generation: number }[] = [];
  const cleanup = () => {
    for (const p of placements) {
      for (const f of [p.temp, p.saved]) if (f) try { unlinkSync(f); } catch { /* already gone */ }
    }
  };
  const jobs: { final: string; data: () => Buffer }[] = [];
  for (const item of plan.connections) {
    if (item.action === 'keep') continue;
    const entry = byId.get(item.id)!;
    const recorded = deps.store.vaultGeneration(item.id, item.userId) ?? 0;
    // Above both: a replaced file must never look older than the row it replaces, or than the backup's.
    const generation = Math.max(recorded, entry.generation) + 1;
    rows.push({ item, entry, generation });
    if (entry.linked || !entry.credential) continue;
    const meta = { generation, serviceId: entry.serviceId, label: item.label, authMethod: entry.authMethod, fields: entry.fields, scopes: entry.scopes, createdAt: entry.createdAt, secretHint: entry.secretHint, account: entry.account };
    const { meta: _old, ...credential } = entry.credential;
    jobs.push({ final: join(deps.paths.vaultDir, vaultFileName(item.userId, item.id)), data: () => encryptVaultFile(key, item.userId, item.id, Buffer.from(JSON.stringify({ ...credential, meta }), 'utf8')) });
  }
  const connectorJobs = (plan.connectors ?? []).filter((c) => c.action === 'add' || c.action === 'replace');
  if (connectorJobs.length) await ensurePrivateDir(deps.paths.connectorsDir);
  for (const c of connectorJobs) {
    const text = body.connectors!.find((x) => x.file === c.file)!.text;
    jobs.push({ final: join(deps.paths.connectorsDir, c.file), data: () => Buffer.from(text, 'utf8') });
  }
  const secrets = plan.systemSecrets.filter((s) => s.action === 'add' || s.action === 'replace');
  if (secrets.length) await ensurePrivateDir(systemDir(deps.paths));
  for (const s of secrets) {
    const value = body.systemSecrets.find((x) => x.name === s.name)!.value;
    const { file, data } = deps.systemSecrets.sealed(s.name, value, key);
    jobs.push({ final: file, data: () => data });
  }
  // Many at a time: each temp is fsynced, and one by one that is most of a large restore's time. On a
  // failure the other writers stop and are waited for, so no temp is written after the cleanup.
  const slots: (Placement | undefined)[] = new Array(jobs.length);
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (!failure && next < jobs.length) {
      const i = next++;
      try {
        slots[i] = await place(jobs[i]!.final, jobs[i]!.data());
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, jobs.length) }, worker));
  // In job order, so renames (and a rollback's undoing of them) happen in one known order.
  for (const p of slots) if (p) placements.push(p);
  if (failure) {
    cleanup();
    throw (failure as { err: unknown }).err;
  }

  const now = Date.now();
  const renamed: Placement[] = [];
  try {
    deps.store.transaction(() => {
      for (const { item, entry, generation } of rows) {
        if (item.action === 'replace') deps.store.delete(item.id);
        const inserted = deps.store.insertRecovered(
          {
            id: item.id,
            userId: item.userId,
            serviceId: entry.serviceId,
            label: item.label,
            authMethod: entry.authMethod,
            scopes: entry.scopes,
            fields: entry.fields,
            secretHint: entry.secretHint,
            account: entry.account,
            expiresAt: entry.credential?.expiresAt ?? entry.expiresAt,
            createdAt: entry.createdAt,
            // A linked login has no file: its generation stays 0, as when it was imported.
            vaultGeneration: entry.linked ? 0 : generation,
          },
          now,
        );
        if (!inserted) throw new SophonError('internal', `Connection ${item.id} appeared here during the restore; nothing was changed. Run the restore again.`);
        deps.audit.record({ userId: item.userId, action: 'restore', outcome: 'ok', connectionId: item.id, serviceId: entry.serviceId, detail: item.action === 'replace' ? 'replaced from a backup' : 'restored from a backup' });
      }
      for (const p of placements) {
        try {
          renameSync(p.temp, p.final);
        } catch (err) {
          const why = storageWriteError(err, p.final);
          throw isSophonError(why) ? why : new SophonError('internal', `The restore could not put ${p.final} in place (${errnoOf(err) ?? 'error'}); nothing was changed.`, { cause: err });
        }
        renamed.push(p);
      }
    });
  } catch (err) {
    for (const p of renamed.reverse()) {
      try {
        if (p.saved) renameSync(p.saved, p.final);
        else unlinkSync(p.final);
      } catch { /* best effort: the row for it was rolled back, so the file is at worst an unlisted one, kept */ }
    }
    cleanup();
    throw err;
  }
  for (const dir of new Set(placements.map((p) => dirname(p.final)))) await fsyncDir(dir);
  for (const p of placements) if (p.saved) await fsp.unlink(p.saved).catch(() => undefined);
  // After the secrets it points to are in place: a crash between leaves them unreferenced (a restore run again sets this).
  const clients: Record<string, { clientId: string; secretInVault: boolean }> = {};
  for (const c of plan.oauthClients) {
    if (c.action !== 'add' && c.action !== 'replace') continue;
    const secret = plan.systemSecrets.find((s) => s.name === oauthClientSecretName(c.serviceId));
    clients[c.serviceId] = { clientId: c.clientId, secretInVault: body.oauthClients[c.serviceId]!.secretInVault && secret !== undefined && secret.action !== 'keep' };
  }
  await setRestoredOAuthClients(deps.paths.settingsFile, deps.settings, clients);
  return { ...plan, applied: true };
}

async function place(final: string, data: Buffer): Promise<Placement> {
  const temp = await writeTemp(final, data);
  const saved = tempPathFor(final);
  try {
    linkSync(final, saved);
    return { temp, final, saved };
  } catch (err) {
    // Nothing there, or something that is not a file (which the rename then refuses): nothing to save.
    if (['ENOENT', 'EPERM', 'EISDIR'].includes(errnoOf(err) ?? '')) return { temp, final, saved: null };
    try { unlinkSync(temp); } catch { /* already gone */ }
    throw err;
  }
}
