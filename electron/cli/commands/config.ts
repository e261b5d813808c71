import { z } from 'zod';
import { resolveHome, sophonPaths } from '../../core/config/paths';
import { loadSettings, SettingsSchema } from '../../core/config/settings';
import { readSettingsJson, writeSettings } from '../../core/config/settings-writer';
import { SophonError } from '../../core/errors';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';

/*
 * `sophon config get|set <key> [value]`: settings by their dotted path in appsettings.json
 * (`Sophon.Broker.Port`), checked against the settings schema — the key must exist there, the value must
 * pass it — and written by the one settings writer (atomic, 0600, every other key kept). A secret is never
 * a setting: such keys are refused with the command that keeps that secret in the vault.
 */

type Schema = z.ZodType;

const SECRET_NAME = /(secret|password|passphrase)/i;
const SECRET_END = /(token|pin|apikey)$/i;
const isSecretName = (segment: string): boolean => SECRET_NAME.test(segment) || SECRET_END.test(segment);

function unwrap(schema: Schema): Schema {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as Schema;
    else if (s instanceof z.ZodPipe) s = s.in as Schema;
    else return s;
  }
}

/** The schema of the setting at `path`; an unknown key is a usage error that lists the keys valid there. */
function schemaAt(path: string[]): Schema {
  let schema: Schema = SettingsSchema;
  for (let i = 0; i < path.length; i++) {
    const node = unwrap(schema);
    const segment = path[i]!;
    if (node instanceof z.ZodObject) {
      const shape = node.shape as Record<string, Schema>;
      const next = shape[segment];
      if (!next) {
        const where = path.slice(0, i).join('.') || '(top level)';
        throw new SophonError('usage', `There is no setting ${path.slice(0, i + 1).join('.')}; valid keys at ${where}: ${Object.keys(shape).join(', ')}.`);
      }
      schema = next;
    } else if (node instanceof z.ZodRecord) {
      schema = node.valueType as Schema;
    } else {
      throw new SophonError('usage', `${path.slice(0, i).join('.')} is a value, not a section: it has no key ${segment}.`);
    }
  }
  return schema;
}

/** A secret key (anywhere in the path, or in an object value) is refused, naming where that secret belongs. */
function refuseSecret(path: string[], value?: unknown): void {
  const keys = [...path];
  const collect = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return;
    for (const [k, inner] of Object.entries(v)) {
      keys.push(k);
      collect(inner);
    }
  };
  collect(value);
  const secret = keys.find(isSecretName);
  if (secret === undefined) return;
  const oauth = path[0] === 'Sophon' && path[1] === 'OAuth' && path[2] ? path[2] : null;
  const where = oauth
    ? `use \`sophon oauth setup ${oauth} --client-secret-stdin\`: the secret goes into the vault`
    : 'a secret is kept in the vault, never in the settings file (`sophon oauth setup` for OAuth client secrets, `sophon vault pkcs11-pin` for a PKCS#11 PIN)';
  throw new SophonError('usage', `${secret} is a secret, not a setting: ${where}. Nothing was changed.`);
}

function parseKey(key: string): string[] {
  const path = key.split('.');
  if (path.some((p) => p === '')) throw new SophonError('usage', `"${key.slice(0, 100)}" is not a setting key: use its dotted path, e.g. Sophon.Broker.Port.`);
  return path;
}

/** Text as the setting's type wants it: kept as text for a string setting, else JSON (numbers, booleans, lists), else text. */
function parseValue(schema: Schema, text: string): unknown {
  const leaf = unwrap(schema);
  if (leaf instanceof z.ZodString || leaf instanceof z.ZodEnum) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function valueAt(root: unknown, path: string[]): { found: boolean; value: unknown } {
  let v: unknown = root;
  for (const p of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, p)) return { found: false, value: undefined };
    v = (v as Record<string, unknown>)[p];
  }
  return { found: true, value: v };
}

/** A copy without secret keys (a plaintext ClientSecret still waiting for its move into the vault). */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !isSecretName(k)).map(([k, v]) => [k, withoutSecrets(v)]));
}

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

export async function configGet(ctx: CommandContext, key: string | undefined, opts: { json?: boolean }): Promise<number> {
  const file = sophonPaths(resolveHome(ctx.global.home, ctx.env)).settingsFile;
  const path = key === undefined ? [] : parseKey(key);
  if (key !== undefined) {
    refuseSecret(path);
    schemaAt(path);
  }
  // Effective values (defaults filled in) from the one schema; whether the file itself names the key.
  const effective = valueAt(await loadSettings(file, {}), path);
  const inFile = valueAt(await readSettingsJson(file), path).found;
  const value = withoutSecrets(effective.value);
  if (opts.json) {
    ctx.io.json({ key: key ?? null, value: value ?? null, set: inFile, settingsFile: file });
    return ExitCode.ok;
  }
  if (key === undefined) {
    ctx.io.out(show(value));
    ctx.io.err(`(settings file: ${file}; values not in it are defaults)`);
    return ExitCode.ok;
  }
  ctx.io.out(`${key} = ${effective.found ? show(value) : '(not set)'}`);
  ctx.io.err(inFile ? `(set in ${file})` : `(${effective.found ? 'default' : 'no default'}; not in ${file})`);
  return ExitCode.ok;
}

export async function configSet(ctx: CommandContext, key: string, text: string, opts: { json?: boolean }): Promise<number> {
  const file = sophonPaths(resolveHome(ctx.global.home, ctx.env)).settingsFile;
  const path = parseKey(key);
  refuseSecret(path);
  const schema = schemaAt(path);
  const value = parseValue(schema, text);
  refuseSecret(path, value);
  // A file that is already broken is a configuration problem (exit 7), reported as such before any edit.
  await loadSettings(file, {});
  try {
    await writeSettings(file, [{ path, value }]);
  } catch (err) {
    // The file was fine a moment ago: what the schema refused is the value given here.
    if (err instanceof SophonError && err.code === 'settings_invalid') throw new SophonError('invalid_input', err.message.replace(/^.*? was left unchanged: /, `${key} was not changed: `));
    throw err;
  }
  if (opts.json) ctx.io.json({ key, value, settingsFile: file });
  else ctx.io.out(`${key} = ${show(value)} (in ${file})`);
  return ExitCode.ok;
}
