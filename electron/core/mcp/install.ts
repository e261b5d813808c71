import { isDeepStrictEqual } from 'node:util';
import { applyEdits, modify, parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { atomicWriteFile, readFileIfExists } from '../fs/secure-fs';
import { SophonError } from '../errors';
import type { ClientConfig, Launch } from './clients';
import { removeTable, renderTable, upsertTable, type TomlValue } from './toml-table';

export const SERVER_NAME = 'sophon';

export interface ConfigChange {
  file: string;
  /** created: the file did not exist; updated: Sophon's entry added or replaced; removed; unchanged. */
  action: 'created' | 'updated' | 'removed' | 'unchanged';
  /** Sophon's entry as written (install), for --dry-run and --json. */
  entry: Record<string, unknown> | null;
  /** Where the file as it was before the change is kept (null when nothing was there or nothing changed). */
  backup: string | null;
  before: string | null;
  after: string | null;
}

/** Sophon's entry in the client's config, added or replaced; every other key or byte is kept. */
export async function planInstall(config: ClientConfig, launch: Launch): Promise<ConfigChange> {
  const entry = config.entry(launch);
  const before = await readConfig(config.file);
  let after: string;
  if (config.format === 'json') {
    const doc = parseJson(config, before);
    const servers = serversOf(config, doc);
    if (isDeepStrictEqual(servers[SERVER_NAME], entry)) after = before!;
    else after = editJson(before ?? '', [config.serversKey, SERVER_NAME], entry);
  } else {
    after = tomlEdit(config, () => upsertTable(before ?? '', [config.serversKey, SERVER_NAME], renderTable([config.serversKey, SERVER_NAME], entry as Record<string, TomlValue>)));
  }
  return change(config, before, after, entry);
}

/** Sophon's entry removed from the client's config (nothing else touched). */
export async function planUninstall(config: ClientConfig): Promise<ConfigChange> {
  const before = await readConfig(config.file);
  if (before === null) return change(config, null, null, null);
  let after: string;
  if (config.format === 'json') {
    const doc = parseJson(config, before);
    const servers = serversOf(config, doc);
    if (!(SERVER_NAME in servers)) after = before;
    // The servers key goes too when Sophon's was its only entry (as it was before `mcp install` made it).
    else after = editJson(before, Object.keys(servers).length === 1 ? [config.serversKey] : [config.serversKey, SERVER_NAME], undefined);
  } else {
    after = tomlEdit(config, () => removeTable(before, [config.serversKey, SERVER_NAME]));
  }
  return change(config, before, after, null);
}

/** Writes a planned change: the old file kept as `<file>.sophon-backup`, the new one written atomically (0600). */
export async function applyChange(c: ConfigChange): Promise<void> {
  if (c.action === 'unchanged' || c.after === null) return;
  await mkdir(dirname(c.file), { recursive: true, mode: 0o700 });
  if (c.before !== null && c.backup) await atomicWriteFile(c.backup, c.before);
  await atomicWriteFile(c.file, c.after);
}

function change(config: ClientConfig, before: string | null, after: string | null, entry: Record<string, unknown> | null): ConfigChange {
  const action = after === null || after === before ? 'unchanged' : before === null ? 'created' : entry ? 'updated' : 'removed';
  return { file: config.file, action, entry, backup: action !== 'unchanged' && before !== null ? `${config.file}.sophon-backup` : null, before, after };
}

async function readConfig(file: string): Promise<string | null> {
  const data = await readFileIfExists(file);
  return data === null ? null : data.toString('utf8');
}

/**
 * The one key set or removed with the smallest text edit (jsonc-parser's modify): the rest of the file,
 * its formatting and (in VS Code's file) its comments stay byte for byte.
 */
function editJson(text: string, path: string[], value: unknown): string {
  const indent = /\n( +|\t)"/.exec(text)?.[1] ?? '  ';
  const edits = modify(text, path, value, { formattingOptions: { insertSpaces: indent[0] !== '\t', tabSize: indent[0] === '\t' ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' } });
  const out = applyEdits(text, edits);
  return text === '' ? `${out}\n` : out;
}

function parseJson(config: ClientConfig, text: string | null): Record<string, unknown> {
  if (text === null || text.trim() === '') return {};
  let doc: unknown;
  const bad = (why: string): never => {
    throw new SophonError('invalid_input', `${config.file} is not valid JSON (${why.slice(0, 120)}); it was left untouched. Fix it, or add Sophon in ${config.name} yourself (see docs/mcp.md).`);
  };
  if (config.comments) {
    const errors: ParseError[] = [];
    doc = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
    if (errors.length) bad(`${printParseErrorCode(errors[0]!.error)} at offset ${errors[0]!.offset}`);
  } else {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      bad(err instanceof SyntaxError ? err.message : 'unreadable');
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SophonError('invalid_input', `${config.file} does not hold a JSON object; it was left untouched.`);
  return doc as Record<string, unknown>;
}

function serversOf(config: ClientConfig, doc: Record<string, unknown>): Record<string, unknown> {
  const servers = doc[config.serversKey];
  if (servers === undefined) return {};
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) {
    throw new SophonError('invalid_input', `"${config.serversKey}" in ${config.file} is not an object; the file was left untouched.`);
  }
  return servers as Record<string, unknown>;
}

function tomlEdit(config: ClientConfig, edit: () => string): string {
  try {
    return edit();
  } catch (err) {
    if (err instanceof SophonError) throw new SophonError('invalid_input', `${config.file}: ${err.message}; it was left untouched. Edit it yourself (see docs/mcp.md).`);
    throw err;
  }
}
