import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
// The package's default entry is a UMD build whose internal require() calls esbuild cannot follow, so
// the bundled CLI would crash; its ESM build bundles cleanly.
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { SophonError, errnoOf } from '../errors';
import { describeIssues } from '../validation/parse';
import { BUILTIN_SERVICES } from './builtin';
import { checkService } from './checks';
import { familyOf, ServiceSchema, type CatalogEntry, type ServiceDefinition, type ServiceDefinitionInput } from './schema';

export interface CatalogProblem {
  /** Full path of the connector file. */
  file: string;
  /** `field.path: problem`; never quotes the file's contents beyond field names and template strings. */
  message: string;
}

export interface Catalog {
  entries: CatalogEntry[];
  problems: CatalogProblem[];
}

export type ConnectorValidation = { ok: true; service: ServiceDefinition } | { ok: false; message: string };

/**
 * Validates built-in definitions like connector files, but a problem here is a bug, so it throws.
 * With `checks: false` (every start of the app or CLI) only the schema runs: the cross-field checks
 * of built-ins are run by the test suite, and skipping them keeps each command's start fast.
 */
export function validateBuiltins(inputs: readonly ServiceDefinitionInput[], options: { checks?: boolean } = {}): CatalogEntry[] {
  const seen = new Set<string>();
  return inputs.map((input, i) => {
    const label = `built-in service ${typeof input.id === 'string' ? input.id : `#${i}`}`;
    const parsed = ServiceSchema.safeParse(input);
    if (!parsed.success) throw new SophonError('internal', `${label}: ${describeIssues(parsed.error)}`);
    const problems = options.checks === false ? [] : checkService(parsed.data);
    if (problems.length) throw new SophonError('internal', `${label}: ${problems.join('; ')}`);
    if (seen.has(parsed.data.id)) throw new SophonError('internal', `${label}: the id is used twice`);
    seen.add(parsed.data.id);
    return { service: parsed.data, source: { kind: 'builtin' } };
  });
}

let builtins: CatalogEntry[] | undefined;

export function builtinEntries(): CatalogEntry[] {
  builtins ??= validateBuiltins(BUILTIN_SERVICES, { checks: false });
  return builtins;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

// Keyed by jsonc-parser's printed code names: its ParseErrorCode is an ambient const enum.
const JSON_ERRORS: Record<string, string> = {
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected ","',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfComment: 'unterminated comment',
  EndOfFileExpected: 'unexpected text after the end',
};

function jsonErrorText(code: ParseError['error']): string {
  const name = printParseErrorCode(code);
  return JSON_ERRORS[name] ?? name;
}

/** Validates connector text (JSON with comments and trailing commas). */
export function validateConnectorText(text: string): ConnectorValidation {
  if (text.trim() === '') return { ok: false, message: 'the file is empty' };
  const errors: ParseError[] = [];
  const data: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) return { ok: false, message: `not valid JSON at ${lineAndColumn(text, first.offset)}: ${jsonErrorText(first.error)}` };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, message: '(top level): expected one JSON object describing the service' };
  const parsed = ServiceSchema.safeParse(data);
  if (!parsed.success) return { ok: false, message: describeIssues(parsed.error).replace(/Invalid input: expected (\w+), received undefined/g, 'missing (expected $1)') };
  const problems = checkService(parsed.data);
  if (problems.length) return { ok: false, message: problems.join('; ') };
  return { ok: true, service: parsed.data };
}

export async function validateConnectorFile(path: string): Promise<ConnectorValidation> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    const code = errnoOf(err);
    return { ok: false, message: code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'unknown error'})` };
  }
  return validateConnectorText(text);
}

async function connectorFiles(dir: string): Promise<string[]> {
  try {
    const names = await fsp.readdir(dir);
    return names.filter((n) => n.endsWith('.json')).sort().map((n) => join(dir, n));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw new SophonError('settings_invalid', `The connectors folder ${dir} cannot be read (${errnoOf(err) ?? 'unknown error'}).`, { cause: err });
  }
}

/**
 * Built-in services plus every valid `connectors/*.json`. A bad connector file becomes a problem and
 * never hides the rest. Two connectors with the same id are both left out (neither may receive the
 * other's credentials); a connector reusing a built-in id is left out and the built-in stays.
 */
export async function loadCatalog(connectorsDir: string): Promise<Catalog> {
  const entries = [...builtinEntries()];
  const problems: CatalogProblem[] = [];
  const builtinNames = new Map(entries.map((e) => [e.service.id, e.service.name]));
  const builtinFamilies = new Set(entries.flatMap((e) => [e.service.id, familyOf(e.service)]));
  const byId = new Map<string, { file: string; service: ServiceDefinition }[]>();

  for (const file of await connectorFiles(connectorsDir)) {
    const result = await validateConnectorFile(file);
    if (!result.ok) {
      problems.push({ file, message: result.message });
      continue;
    }
    const { id } = result.service;
    const builtinName = builtinNames.get(id);
    if (builtinName !== undefined) {
      problems.push({ file, message: `id: "${id}" is already the id of the built-in service ${builtinName}; choose another id` });
      continue;
    }
    const family = result.service.family;
    if (family !== undefined && builtinFamilies.has(family)) {
      // A skill that asks for a built-in service must never be answered by a connector's hosts.
      problems.push({ file, message: `family: "${family}" is a built-in family; a connector file cannot join it (leave "family" out)` });
      continue;
    }
    byId.set(id, [...(byId.get(id) ?? []), { file, service: result.service }]);
  }

  for (const [id, found] of byId) {
    if (found.length === 1 && found[0]) {
      entries.push({ service: found[0].service, source: { kind: 'connector', file: found[0].file } });
      continue;
    }
    for (const { file } of found) {
      const others = found.filter((f) => f.file !== file).map((f) => basename(f.file)).join(', ');
      problems.push({ file, message: `id: "${id}" is also used by ${others}; neither is loaded until one is renamed` });
    }
  }
  return { entries, problems };
}

export function findService(catalog: Catalog, id: string): CatalogEntry | undefined {
  return catalog.entries.find((e) => e.service.id === id);
}

export function getService(catalog: Catalog, id: string): CatalogEntry {
  const entry = findService(catalog, id);
  if (!entry) throw new SophonError('not_found', `No service "${id}" in the catalog.`);
  return entry;
}
