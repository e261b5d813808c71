// The desktop app's main and preload bundles (CommonJS, as Electron loads them) and its icons, into
// <out>/electron/. Run by `node scripts/build.mjs --app` (out = dist); tests build into a folder of
// their own with `node scripts/build-app.mjs <out>` so they never rewrite dist/ under other tests.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Native modules (and electron) stay out of every bundle: they load their addon from node_modules. */
export const NATIVE_EXTERNALS = ['keytar', 'pkcs11js', 'better-sqlite3', 'electron', 'argon2'];

export async function buildApp(out = 'dist', external = NATIVE_EXTERNALS) {
  // CommonJS has no import.meta; the code that would use it takes the `require` branch there.
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', external, sourcemap: 'linked', logLevel: 'warning', define: { 'import.meta.url': 'undefined' } };
  await build({ ...common, entryPoints: ['electron/main/index.ts'], outfile: `${out}/electron/main/index.js` });
  await build({ ...common, entryPoints: ['electron/preload/index.ts'], outfile: `${out}/electron/preload/index.js` });
  // The parallel `audit verify`'s worker thread beside the main bundle, where electron/core/audit/parallel-verify.ts
  // looks for it (Electron runs worker scripts from inside app.asar since v18), so the Vault page's check of a long
  // trail does not hold the main process for a second.
  await build({ ...common, entryPoints: ['electron/core/audit/chain-part-worker.ts'], outfile: `${out}/electron/main/audit-verify-worker.cjs` });
  // Tray and window icons (made by build/make-icons.mjs) next to the main bundle, so they ship inside the asar.
  mkdirSync(`${out}/electron/main/icons`, { recursive: true });
  for (const f of readdirSync('build').filter((n) => n.endsWith('.png'))) cpSync(`build/${f}`, `${out}/electron/main/icons/${f}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await buildApp(process.argv[2] ?? 'dist');
