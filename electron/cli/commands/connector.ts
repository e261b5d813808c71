import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveHome, sophonPaths } from '../../core/config/paths';
import { connectorTemplate } from '../../core/catalog/connector-template';
import { validateConnectorFile } from '../../core/catalog/catalog';
import { SophonError, errnoOf } from '../../core/errors';
import { ensurePrivateDir, FILE_MODE } from '../../core/fs/secure-fs';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';

/** `sophon connector new <id>`: a commented template in the connectors folder, never over an existing file unless --force. */
export async function connectorNew(ctx: CommandContext, id: string, opts: { force?: boolean }): Promise<number> {
  if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(id)) {
    throw new SophonError('usage', 'A connector id is 1-48 lowercase letters, digits or "-", starting with a letter or digit.');
  }
  const paths = sophonPaths(resolveHome(ctx.global.home, ctx.env));
  await ensurePrivateDir(paths.connectorsDir);
  const file = join(paths.connectorsDir, `${id}.json`);
  try {
    await fsp.writeFile(file, connectorTemplate(id), { flag: opts.force ? 'w' : 'wx', mode: FILE_MODE });
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') throw new SophonError('usage', `${file} already exists; pass --force to overwrite it.`);
    throw err;
  }
  ctx.io.out(`Wrote ${file}. Fill it in, then check it with \`sophon connector validate ${file}\`.`);
  return ExitCode.ok;
}

export async function connectorValidate(ctx: CommandContext, file: string, opts: { json?: boolean }): Promise<number> {
  const result = await validateConnectorFile(resolve(file));
  if (opts.json) ctx.io.json(result.ok ? { ok: true, service: result.service } : { ok: false, message: result.message });
  else if (result.ok) ctx.io.out(`${file}: valid (${result.service.id}, ${result.service.name}, ${result.service.auth.method}).`);
  else ctx.io.err(`${file}: ${result.message}`);
  return result.ok ? ExitCode.ok : ExitCode.config;
}
