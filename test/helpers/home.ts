import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway SOPHON_HOME using the file key protector, so a test needs no keyring. */
export async function tempHome(settings: object = { Sophon: { Vault: { KeyProtector: 'file' } } }): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'sophon-test-'));
  await mkdir(join(home, 'config'), { recursive: true });
  await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify(settings));
  return { home, cleanup: () => rm(home, { recursive: true, force: true }) };
}
