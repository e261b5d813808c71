import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The forms a leaked secret commonly takes: plain, base64, URL-encoded, JSON-escaped. */
export function forms(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
}

/** Every file below `dir`, for searching a whole SOPHON_HOME for a leaked secret. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}
