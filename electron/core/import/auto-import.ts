import type { Core } from '../sophon-core';
import type { ImportedLogin, LoginView } from './importer';
import { onStartSources } from './sources/registry';
import type { SourceReport } from './types';

export interface AutoImportResult {
  /** From `Sophon.Import.Auto`: `off`, `offer` (default) or `import`. */
  mode: 'off' | 'offer' | 'import';
  /** Logins not imported yet: what the app offers (in `offer` mode), or what could not be imported. */
  offered: LoginView[];
  imported: ImportedLogin[];
  sources: SourceReport[];
}

/**
 * What the desktop app runs on start, per `Sophon.Import.Auto`: look for CLI logins and offer the new
 * ones, or import them (linked) when the setting is `"import"`. Linked connections whose login
 * disappeared are flipped to needs_reauth by the same look.
 */
export async function autoImportOnStart(core: Core, userId = 'default'): Promise<AutoImportResult> {
  const setting = core.settings.Sophon.Import.Auto;
  const mode: AutoImportResult['mode'] = setting === false || setting === 'off' ? 'off' : setting === 'import' ? 'import' : 'offer';
  if (mode === 'off') return { mode, offered: [], imported: [], sources: [] };
  const importer = await core.imports();
  const scan = await importer.scan(userId, onStartSources());
  const fresh = scan.logins.filter((l) => l.importedAs === null);
  if (mode === 'offer') return { mode, offered: fresh, imported: [], sources: scan.sources };
  const result = await importer.import(userId, scan, fresh.map((l) => l.key));
  const done = new Set(result.imported.map((i) => i.key));
  return { mode, offered: fresh.filter((l) => !done.has(l.key)), imported: result.imported, sources: scan.sources };
}
