// Builds what runs outside the TypeScript toolchain: the `sophon` CLI as one ESM bundle (fast start:
// one file to parse; native modules stay external and load only when a command needs them).
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
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

// Node built-ins that modules on every command's path import at top level but only some commands
// use: node:crypto (random temp-file names, vault encryption, connection ids; `connect list` uses
// none) and node:child_process (commander requires it at load, for executable subcommands, which
// Sophon has none of). Loading them costs ~25 more built-in modules at every start. In the CLI
// bundle these imports get a stand-in that loads the real module on the first call. Only plain
// functions are forwarded (lowercase names); importing anything else (a class, `constants`) from
// these modules fails the build here, so nothing is ever silently undefined. Third-party modules
// other than commander keep the real module.
const LAZY_BUILTINS = { crypto: () => true, child_process: (importer) => importer.includes('/node_modules/commander/') };
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(crypto|child_process)$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.namespace === 'lazy-builtin') return { path: `node:${name}`, external: true };
      const ours = !args.importer.includes('/node_modules/');
      return ours || LAZY_BUILTINS[name](args.importer) ? { path: name, namespace: 'lazy-builtin' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const real = await import(`node:${args.path}`);
      const fns = Object.keys(real).filter((k) => k !== 'default' && /^[a-z]/.test(k) && typeof real[k] === 'function');
      const contents = [
        `let m; const real = () => (m ??= require(${JSON.stringify(`node:${args.path}`)}));`,
        ...fns.map((k) => `export function ${k}(...a) { return real().${k}(...a); }`),
        'export default new Proxy({}, { get: (_, k) => real()[k], has: (_, k) => k in real(), ownKeys: () => Reflect.ownKeys(real()), getOwnPropertyDescriptor: (_, k) => Reflect.getOwnPropertyDescriptor(real(), k) });',
      ].join('\n');
      return { contents, loader: 'js', resolveDir: '/' };
    });
  },
};

// An ES module importing a Node built-in gets an ESM facade of it, built by reading every export, so
// `import { promises } from 'node:fs'` also loads fs's ReadStream/WriteStream getters: the whole of
// node:stream (~20 modules) on every start. The bundle takes built-ins through `require` instead (as
// CommonJS code does): esbuild's interop reads an export only where it is used.
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.namespace === 'builtin-cjs' || args.kind === 'require-call') return undefined;
      const name = args.path.replace(/^node:/, '');
      if (!(args.path.startsWith('node:') || builtinModules.includes(name))) return undefined;
      return { path: name, namespace: 'builtin-cjs' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^node:/, namespace: 'builtin-cjs' }, (args) => ({ path: args.path, external: true }));
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
  plugins: [zodEnglishOnly, lazyBuiltins, builtinsViaRequire],
  banner: { js: "import { createRequire as __sophonCreateRequire } from 'node:module'; const require = __sophonCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The desktop app's main and preload (only for `npm start` and packaging; tests never need Electron).
if (process.argv.includes('--app')) {
  // Main and preload bundles plus icons (scripts/build-app.mjs): dist/electron/main/index.js, as package.json's main says.
  const { buildApp } = await import('./build-app.mjs');
  await buildApp('dist', external);
}

// The renderer (React UI for the desktop window and the browser dashboard): Vite into dist/renderer/
// (index.html + hashed assets, no inline code, for a strict CSP). About 1.5 s.
const { build: viteBuild } = await import('vite');
await viteBuild({ root: 'renderer', configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
