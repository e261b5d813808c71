// Builds what runs outside the TypeScript toolchain: the `sophon` CLI as one ESM bundle (fast start:
// one file to parse; native modules stay external and load only when a command needs them).
import { build } from 'esbuild';
import { resolve as resolvePath } from 'node:path';

const external = ['keytar', 'better-sqlite3', 'electron'];

// zod re-exports every locale (over half its size); Sophon's messages are English, so the CLI bundle
// carries only `en`. Saves parse and compile time on every command.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/node_modules/zod/')
        ? { path: 'zod-locales-en', namespace: 'zod-locales', pluginData: resolvePath(args.resolveDir, args.path.replace(/index\.js$/, 'en.js')) }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.pluginData)};`,
      resolveDir: '/',
      loader: 'js',
    }));
  },
};

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
  // Startup time is parse + compile of this bundle: minified, it starts measurably faster.
  minify: process.env.SOPHON_BUILD_DEBUG ? false : true,
  external,
  plugins: [zodEnglishOnly],
  banner: { js: "import { createRequire as __sophonCreateRequire } from 'node:module'; const require = __sophonCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The desktop app's main and preload (only for `npm start` and packaging; tests never need Electron).
if (process.argv.includes('--app')) {
  // CommonJS has no import.meta; the code that would use it takes the `require` branch there.
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', external, sourcemap: 'linked', logLevel: 'warning', define: { 'import.meta.url': 'undefined' } };
  await build({ ...common, entryPoints: ['electron/main/index.ts'], outfile: 'dist/electron/main/index.js' });
  await build({ ...common, entryPoints: ['electron/preload/index.ts'], outfile: 'dist/electron/preload/index.js' });
}

// The renderer (React UI for the desktop window and the browser dashboard): Vite into dist/renderer/
// (index.html + hashed assets, no inline code, for a strict CSP). About 1.5 s.
const { build: viteBuild } = await import('vite');
await viteBuild({ root: 'renderer', configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
