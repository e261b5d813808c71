import { applyEdits, modify } from 'jsonc-parser/lib/esm/main.js';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { errnoOf, SophonError } from '../errors';
import { atomicWriteFile, ensurePrivateDir } from '../fs/secure-fs';
import { parseJsonText } from '../validation/parse';
import { validateSettings, type Settings } from './settings';

/** One key of appsettings.json set (`value`) or removed (`value: undefined`), by its path from the top. */
export interface SettingsEdit {
  path: string[];
  value: unknown;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readText(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw new SophonError('settings_invalid', `Cannot read settings file ${file} (${errnoOf(err) ?? 'error'})`);
  }
}

/** The file as it is now, parsed: every key kept, known or not, for a caller that decides its edits from it. */
export async function readSettingsJson(file: string): Promise<JsonObject> {
  const text = await readText(file);
  const raw = text === null || text.trim() === '' ? {} : parseJsonText(text, `Settings file ${file}`);
  if (!isObject(raw)) throw new SophonError('settings_invalid', `Settings file ${file} is not a JSON object.`);
  return raw;
}

/**
 * The one writer of config/appsettings.json. Each edit is the smallest text change (jsonc-parser's
 * modify), so every other key, the key order and the file's own layout stay as the person left them. The result must pass the settings schema (config/settings.ts) or nothing is written: a writer
 * never leaves a file that the next start refuses. Atomic (temp file + rename), 0600, folder 0700.
 * Returns the settings as now written.
 */
export async function writeSettings(file: string, edits: readonly SettingsEdit[]): Promise<Settings> {
  const before = await readText(file);
  let text = before === null || before.trim() === '' ? '{}' : before;
  // Parsed first so a broken file is reported as such, never edited blind.
  if (!isObject(parseJsonText(text, `Settings file ${file}`))) throw new SophonError('settings_invalid', `Settings file ${file} is not a JSON object.`);
  const indent = /\n( +|\t)"/.exec(text)?.[1] ?? '  ';
  const formattingOptions = { insertSpaces: indent[0] !== '\t', tabSize: indent[0] === '\t' ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
  // A new key goes first in its object: jsonc-parser re-lays-out the line an insertion starts on, and
  // after the last key that line is the person's previous value (`[1, 2, 3]` would be spread out).
  for (const edit of edits) text = applyEdits(text, modify(text, edit.path, edit.value, { formattingOptions, getInsertionIndex: () => 0 }));
  if (!text.endsWith('\n')) text += formattingOptions.eol;
  let settings: Settings;
  try {
    settings = validateSettings(parseJsonText(text, `Settings file ${file}`), file);
  } catch (err) {
    throw new SophonError('settings_invalid', `${file} was left unchanged: the change would make it invalid (${err instanceof Error ? err.message : 'invalid'}).`);
  }
  if (text !== before) {
    await ensurePrivateDir(dirname(file));
    await atomicWriteFile(file, text);
  }
  return settings;
}
