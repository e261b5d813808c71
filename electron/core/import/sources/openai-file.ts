import { dirname, join } from 'node:path';
import { parseStoreJson, readStoreFile, StoreProblem } from '../store-file';
import type { FoundLogin, LinkedRead, LoginSource, SourceEnv, SourceReport } from '../types';

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

/** `~/.openai/credentials`, linked: re-read each time the key is needed. */
export const openAiFileSource: LoginSource = {
  kind: 'openai-file',
  name: '~/.openai/credentials',
  owner: 'the file',
  refresh: 'edit the file, or connect with an API key',
  expiredName: '~/.openai/credentials',
  from: 'openai',
  onStart: true,
  scan: scanOpenAiFile,
  readLinked: (_se, fields) => readOpenAiFileLinked(fields.importStore ?? ''),
  // A file store is watched by its folder.
  watchedFolder: (store) => dirname(store),
};
