import { openVault } from '../../core/vault/open-vault';
import { describeVault } from '../../core/vault/vault-status';
import { SophonError } from '../../core/errors';
import { Pkcs11Protector } from '../../core/keys/pkcs11-protector';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { paint, table } from '../io';
import { readSecret } from '../prompt';
import { askPin, withCore } from '../core';
import { rotateKey } from '../../core/vault/rotate-key';

/** `sophon vault status`: what protects the vault and whether it can be opened. Never creates a key. */
export async function vaultStatus(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const status = await describeVault(await openVault({ home: ctx.global.home, env: ctx.env, askSecret: askPin(ctx) }));
  const kp = status.keyProtector;
  if (opts.json) {
    ctx.io.json(status);
  } else {
    ctx.io.out(
      table([
        ['Data folder', status.home],
        ['Provider', status.provider],
        ['Key protector', kp.kind],
        ['Key', kp.keyId ? `${kp.keyId} (${kp.location})` : 'none yet (created on the first write)'],
        ['Key reachable', kp.reachable ? paint(ctx.io, 'green', 'yes') : paint(ctx.io, 'red', 'no')],
        ['Key created', status.key?.createdAt ? `${status.key.createdAt} (${status.key.ageDays} days ago)` : '-'],
        ['Last rotated', status.key?.rotatedAt ?? 'never'],
        ['Credentials', String(status.credentials)],
        ['Log file', status.logFile ?? '-'],
      ]),
    );
    if (status.key?.reminder) ctx.io.out(`${paint(ctx.io, 'yellow', 'reminder:')} ${status.key.reminder}`);
    for (const p of status.problems) ctx.io.out(`${paint(ctx.io, 'red', 'problem:')} ${p}`);
  }
  return kp.reachable ? ExitCode.ok : ExitCode.vault;
}

/** `sophon vault rotate-key`: see core/vault/rotate-key.ts. Exit 0 once the old key is retired. */
export async function vaultRotateKey(ctx: CommandContext, opts: { to?: string; json?: boolean }): Promise<number> {
  const result = await rotateKey({ home: ctx.global.home, env: ctx.env, askSecret: askPin(ctx), ...(opts.to !== undefined ? { to: opts.to } : {}) });
  if (opts.json) {
    ctx.io.json(result);
  } else {
    for (const u of result.unreadable) ctx.io.out(`${paint(ctx.io, 'yellow', 'left as it was')} ${u.problem}`);
    const where = result.from.protector === result.to.protector ? result.to.protector : `${result.from.protector} → ${result.to.protector}`;
    ctx.io.out(
      `${result.resumed ? 'Finished an interrupted rotation' : 'Rotated the vault key'}: ${result.from.keyId} → ${result.to.keyId} (${where}). ` +
        `${result.resealed} file(s) re-encrypted${result.alreadyNew ? `, ${result.alreadyNew} already under the new key` : ''}; ` +
        `${result.oldKeyRemoved ? 'the old key was removed' : 'the old key is no longer kept'}.`,
    );
  }
  return ExitCode.ok;
}

/**
 * `sophon vault verify`: opens every credential file; exit 0 only when all open. Files with no
 * connection (unlisted) are reported and kept; they do not fail the check.
 */
export async function vaultVerify(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  // Through the core: sophon.db knows each file's generation (rollback) and which files are listed.
  const report = await withCore(ctx, (core) => core.verifyVault());
  if (opts.json) {
    ctx.io.json(report);
  } else {
    for (const f of report.failures) ctx.io.out(`${paint(ctx.io, 'red', 'FAIL')} ${f.userId}/${f.connectionId}: ${f.problem}`);
    for (const u of report.unlisted) ctx.io.out(`${paint(ctx.io, 'yellow', 'unlisted')} ${u.userId}/${u.connectionId}: no connection in sophon.db; kept (\`sophon vault recover\` lists it again)`);
    for (const s of report.strays) ctx.io.out(`${paint(ctx.io, 'yellow', 'note')} not a credential file, left alone: ${s}`);
    if (report.tempsRemoved.length) ctx.io.out(`${paint(ctx.io, 'dim', 'note')} removed ${report.tempsRemoved.length} temporary file(s) left by interrupted writes`);
    const unlisted = report.unlisted.length ? `; ${report.unlisted.length} unlisted` : '';
    ctx.io.out(`${report.ok} of ${report.total} credential file(s) open${report.failures.length ? `; ${report.failures.length} failed` : ''}${unlisted}.`);
  }
  return report.failures.length === 0 ? ExitCode.ok : ExitCode.vault;
}

/**
 * `sophon vault recover`: lists again every connection whose vault file has no row in sophon.db (it was
 * lost, emptied or replaced), from the details sealed in the file. Never replaces a row; safe to repeat.
 * Exit 0 when every unlisted file was recovered, 6 when some could not be (they are kept).
 */
export async function vaultRecover(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const report = await withCore(ctx, (core) => core.connections.recover());
  if (opts.json) {
    ctx.io.json(report);
  } else {
    for (const c of report.recovered) ctx.io.out(`${paint(ctx.io, 'green', 'recovered')} ${c.userId}/${c.id}: ${c.label} (${c.serviceName})`);
    for (const u of report.unrecoverable) ctx.io.out(`${paint(ctx.io, 'red', 'not recovered')} ${u.userId}/${u.connectionId}: ${u.reason}`);
    ctx.io.out(
      report.recovered.length || report.unrecoverable.length
        ? `Recovered ${report.recovered.length} connection(s)${report.unrecoverable.length ? `; ${report.unrecoverable.length} file(s) could not be recovered and are kept` : ''}. Audit history from before a lost sophon.db is not in the vault and stays lost.`
        : `Nothing to recover: every credential file has its connection (${report.alreadyListed}).`,
    );
  }
  return report.unrecoverable.length === 0 ? ExitCode.ok : ExitCode.vault;
}

/**
 * `sophon vault pkcs11-pin`: keeps the PKCS#11 token's PIN in the OS keychain, so the app, the server
 * and scripts can open the vault without a terminal. The PIN is checked with one login first.
 */
export async function vaultPkcs11Pin(ctx: CommandContext, opts: { secretStdin?: boolean }): Promise<number> {
  const { protector, paths } = await openVault({ home: ctx.global.home, env: ctx.env });
  if (!(protector instanceof Pkcs11Protector)) {
    throw new SophonError('usage', `The vault's key protector is "${protector.kind}", not "pkcs11" (Sophon.Vault.KeyProtector in ${paths.settingsFile}); there is no token PIN to keep.`);
  }
  const pin = await readSecret(ctx.io, 'token PIN', opts.secretStdin === true);
  await protector.savePin(pin);
  const { service, account } = protector.pinLocation();
  ctx.io.out(`PIN checked by the token and kept in the OS keychain (service "${service}", account "${account}").`);
  return ExitCode.ok;
}
