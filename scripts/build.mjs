// Builds what runs outside the TypeScript toolchain: the `sophon` CLI as one ESM bundle (fast start:
// one file to parse; native modules stay external and load only when a command needs them).
import { build } from 'esbuild';

const external = ['keytar', 'better-sqlite3', 'electron'];

await build({
  entryPoints: { 'cli/sophon': 'electron/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external,
  banner: { js: "import { createRequire as __sophonCreateRequire } from 'node:module'; const require = __sophonCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The desktop app's main and preload (only for `npm start` and packaging; tests never need Electron).
if (process.argv.includes('--app')) {
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', external, sourcemap: 'linked', logLevel: 'warning' };
  await build({ ...common, entryPoints: ['electron/main/index.ts'], outfile: 'dist/electron/main/index.js' });
  await build({ ...common, entryPoints: ['electron/preload/index.ts'], outfile: 'dist/electron/preload/index.js' });
}
