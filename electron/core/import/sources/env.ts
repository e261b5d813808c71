import { join } from 'node:path';
import { parseStoreJson, readStoreFile, StoreProblem } from '../store-file';
import { ghServiceFor } from './gh';
import type { FoundLogin, LinkedRead, SourceEnv, SourceReport } from '../types';

/** Variables offered as their own, clearly labelled source: copied (an environment cannot be re-read later). */
const ENV_KEYS: { name: string; serviceId: string; host: string | null }[] = [
  { name: 'GH_TOKEN', serviceId: 'github-pat', host: 'github.com' },
  { name: 'GITHUB_TOKEN', serviceId: 'github-pat', host: 'github.com' },
  { name: 'ANTHROPIC_API_KEY', serviceId: 'anthropic', host: null },
  { name: 'OPENAI_API_KEY', serviceId: 'openai', host: null },
];

export function scanEnv(se: SourceEnv): { report: SourceReport; logins: FoundLogin[] } {
  const logins: FoundLogin[] = [];
  for (const k of ENV_KEYS) {
    const value = se.env[k.name]?.trim();
    if (!value) continue;
    logins.push({
      key: `env:${k.name}`,
      source: 'env',
      store: `$${k.name}`,
      storage: 'environment',
      serviceId: k.host ? ghServiceFor(k.host).serviceId : k.serviceId,
      account: null,
      host: k.host,
      plan: null,
      scopes: [],
      expiresAt: null,
      defaultMode: 'copy',
      copyAllowed: true,
      policy: null,
      fields: {},
      warnings: [],
      secret: value,
    });
  }
  const report: SourceReport = logins.length
    ? { source: 'env', status: 'ok', messages: [] }
    : { source: 'env', status: 'missing', messages: [`None of ${ENV_KEYS.map((k) => k.name).join(', ')} is set.`] };
  return { report, logins };
}

/**
 * `~/.openai/credentials`: no official OpenAI tool writes it, so its shape is a guess. A key is taken
 * from JSON (`api_key`, `OPENAI_API_KEY`, `apiKey`), `name = value` lines, or a lone `sk-…` line;
 * anything else is reported as unrecognised.
 */
function keyFromOpenAiFile(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let data: unknown;
    try {
      data = parseStoreJson(trimmed, 'file');
    } catch {
      return null;
    }
    if (typeof data !== 'object' || data === null) return null;
    const rec = data as Record<string, unknown>;
    for (const k of ['api_key', 'OPENAI_API_KEY', 'apiKey']) if (typeof rec[k] === 'string' && rec[k]) return rec[k];
    return null;
  }
  for (const line of trimmed.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?(?:openai_api_key|api_key)\s*[=:]\s*["']?([^"'\s]+)["']?\s*$/i.exec(line);
    if (m?.[1]) return m[1];
  }
  if (/^sk-[A-Za-z0-9_-]{10,}$/.test(trimmed)) return trimmed;
  return null;
}

export function openAiFilePath(se: SourceEnv): string {
  return join(se.home, '.openai', 'credentials');
}

export async function scanOpenAiFile(se: SourceEnv): Promise<{ report: SourceReport; logins: FoundLogin[] }> {
  const path = openAiFilePath(se);
  const report: SourceReport = { source: 'openai-file', status: 'ok', messages: [] };
  let file;
  try {
    file = await readStoreFile(path, 'OpenAI credentials file', { secretFile: true });
  } catch (err) {
    if (!(err instanceof StoreProblem)) throw err;
    return { report: { ...report, status: 'error', messages: [err.message] }, logins: [] };
  }
  if (!file) return { report: { ...report, status: 'missing', messages: [`No ${path} (no official OpenAI tool writes one).`] }, logins: [] };
  report.messages.push(...file.warnings);
  const key = keyFromOpenAiFile(file.text);
  if (!key) {
    report.status = 'error';
    report.messages.push(`${path} is not in a recognised format (no official OpenAI tool writes it); nothing was read from it.`);
    return { report, logins: [] };
  }
  return {
    report,
    logins: [
      {
        key: `openai-file:${path}`,
        source: 'openai-file',
        store: path,
        storage: 'file',
        serviceId: 'openai',
        account: null,
        host: null,
        plan: null,
        scopes: [],
        expiresAt: null,
        defaultMode: 'linked',
        copyAllowed: false,
        policy: null,
        fields: {},
        warnings: file.warnings,
        secret: key,
      },
    ],
  };
}

export async function readOpenAiFileLinked(path: string): Promise<LinkedRead> {
  let file;
  try {
    file = await readStoreFile(path, 'OpenAI credentials file', { secretFile: true });
  } catch (err) {
    if (err instanceof StoreProblem) return { ok: false, reason: err.message };
    throw err;
  }
  if (!file) return { ok: false, reason: `${path} is gone.` };
  const key = keyFromOpenAiFile(file.text);
  if (!key) return { ok: false, reason: `${path} no longer holds a key in a recognised format.` };
  return { ok: true, secret: key, expiresAt: null, account: null, scopes: [] };
}
