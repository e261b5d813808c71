import { resolve } from 'node:path';
import { SophonError } from '../../core/errors';
import { readBackup, type RestoreReport } from '../../core/backup/backup';
import { generateRecoveryPhrase } from '../../core/backup/backup-format';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { paint } from '../io';
import { confirm, readSecret } from '../prompt';
import { withCore } from '../core';

const MIN_PASSPHRASE = 12;

/**
 * `sophon vault backup --out FILE`: every connection of every user in this home, with its credential,
 * sealed under a passphrase (from stdin) or a generated recovery phrase printed here once.
 */
export async function vaultBackup(ctx: CommandContext, opts: { out: string; passphraseStdin?: boolean; json?: boolean }): Promise<number> {
  const out = resolve(opts.out);
  let passphrase: string;
  let generated = false;
  if (opts.passphraseStdin) {
    passphrase = await readSecret(ctx.io, 'backup passphrase', true, '--passphrase-stdin');
    if ([...passphrase].length < MIN_PASSPHRASE) {
      throw new SophonError('invalid_input', `The backup passphrase is too short: use at least ${MIN_PASSPHRASE} characters, or leave out --passphrase-stdin to get a generated recovery phrase.`);
    }
  } else {
    passphrase = generateRecoveryPhrase();
    generated = true;
  }
  const summary = await withCore(ctx, (core) => core.backup.write(out, passphrase));
  if (opts.json) {
    ctx.io.json({ ...summary, ...(generated ? { recoveryPhrase: passphrase } : {}) });
  } else {
    ctx.io.out(`Backed up ${summary.connections} connection(s)${summary.linked ? ` (${summary.linked} linked CLI login(s): their secret stays with the CLI)` : ''} and ${summary.systemSecrets} OAuth client secret(s) to ${summary.file}.`);
    if (generated) {
      ctx.io.out('');
      ctx.io.out('Recovery phrase (shown only this once; write it down and keep it apart from the backup file):');
      ctx.io.out('');
      ctx.io.out(`    ${passphrase}`);
      ctx.io.out('');
      ctx.io.out('Without it the backup cannot be opened. Restore with: sophon vault restore FILE');
    }
  }
  return ExitCode.ok;
}

/**
 * `sophon vault restore FILE`: checks the file (passphrase, every byte), shows what it adds and every
 * conflict, then restores all of it or nothing under this machine's key.
 */
export async function vaultRestore(ctx: CommandContext, file: string, opts: { passphraseStdin?: boolean; replace?: boolean; dryRun?: boolean; yes?: boolean; json?: boolean }): Promise<number> {
  const path = resolve(file);
  const passphrase = await readSecret(ctx.io, 'backup passphrase or recovery phrase', opts.passphraseStdin === true, '--passphrase-stdin');
  const body = await readBackup(path, passphrase);
  return withCore(ctx, async (core) => {
    const plan = await core.backup.plan(body, opts.replace ? 'replace' : 'merge');
    if (!opts.json || opts.dryRun) show(ctx, plan, opts.json === true);
    const changes = plan.connections.some((c) => c.action !== 'keep') || [...plan.systemSecrets, ...plan.oauthClients].some((s) => s.action === 'add' || s.action === 'replace');
    if (opts.dryRun || !changes) {
      if (opts.json && !opts.dryRun) ctx.io.json(plan);
      if (!opts.json) ctx.io.out(opts.dryRun ? 'Dry run: nothing was changed.' : 'Nothing to restore: every connection in the backup is already here (see above).');
      return ExitCode.ok;
    }
    if (!opts.json && !opts.yes && !(await confirm(ctx.io, 'Restore this?'))) {
      ctx.io.out('Nothing was changed.');
      return ExitCode.ok;
    }
    const report = await core.backup.apply(body, plan);
    if (opts.json) ctx.io.json(report);
    else ctx.io.out(`Restored: ${count(report, 'add')} added, ${count(report, 'replace')} replaced, ${count(report, 'keep')} kept as they were. Run \`sophon connect test <id>\` to check each.`);
    return ExitCode.ok;
  });
}

function count(r: RestoreReport, action: 'add' | 'replace' | 'keep'): number {
  return r.connections.filter((c) => c.action === action).length;
}

function show(ctx: CommandContext, plan: RestoreReport, json: boolean): void {
  if (json) {
    ctx.io.json(plan);
    return;
  }
  const word = { add: paint(ctx.io, 'green', 'add'), replace: paint(ctx.io, 'yellow', 'replace'), keep: paint(ctx.io, 'dim', 'keep') };
  for (const c of plan.connections) ctx.io.out(`${word[c.action]} ${c.userId}/${c.id}: ${c.label} (${c.serviceId})${c.note ? ` — ${c.note}` : ''}`);
  for (const s of plan.systemSecrets) {
    if (s.action === 'same') continue;
    ctx.io.out(`${word[s.action]} system secret ${s.name}${s.note ? ` — ${s.note}` : ''}`);
  }
  for (const c of plan.oauthClients) {
    if (c.action === 'same') continue;
    ctx.io.out(`${word[c.action]} OAuth client ${c.serviceId}: ${c.clientId}${c.note ? ` — ${c.note}` : ''}`);
  }
}
