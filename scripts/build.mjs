// Builds what runs outside the TypeScript toolchain: the `sophon` CLI as one CommonJS bundle (fast
// start: one file to read and compile, no ES module loader work per file; native modules and large
// packages that only a few commands use stay external and load only when a command needs them).
// What the CLI's fast paths are, and why, is one numbered list at the top of bin/sophon.cjs; each
// measure here says which entry of it it is.
import { build } from 'esbuild';
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { NATIVE_EXTERNALS } from './build-app.mjs';

const external = NATIVE_EXTERNALS;
// Fast path 3 (bin/sophon.cjs). Large CommonJS packages (or with a CommonJS entry) that only some commands reach: required from
// node_modules when used, so the bundle every command compiles stays small. nodemailer and imapflow
// (mail tests; with iconv-lite, ~1.1 MB), yaml (importer), @inquirer/prompts (terminal prompts),
// @modelcontextprotocol/sdk (`sophon mcp` only; it brings its own zod, ajv and more).
const cliExternal = ['nodemailer', 'imapflow', 'yaml', '@inquirer/prompts', '@modelcontextprotocol/sdk'];
// better-sqlite3's JavaScript is bundled into the CLI (its addon stays a file; database.ts passes its
// path), so its dozen files are not resolved, read and compiled one by one at every start.
const cliExternalNative = external.filter((name) => name !== 'better-sqlite3');

// Fast path 5 (bin/sophon.cjs). zod re-exports every locale (over half its size); Sophon's messages are English, so the CLI bundle
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

// Fast path 5 (bin/sophon.cjs). Two parts of zod that Sophon never calls but every start would compile and initialise (~45 KB of
// the bundle): z.compile (a parser compiler; the CLI runs zod jitless) and z.fromJSONSchema. In the
// CLI bundle they are stand-ins that throw, so a future use fails loudly instead of quietly.
const zodTrim = {
  name: 'zod-trim',
  setup(b) {
    const missing = (what) => `throw new Error('${what} is not in the sophon CLI bundle (scripts/build.mjs, zod-trim)')`;
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]core[\\/]compile\.js$/ }, () => ({
      contents: [
        'export const INVALID = Symbol.for("zod.compile.invalid");',
        'export class ZodCompileAsyncError extends Error {}',
        'export class ZodCompileUnsupportedError extends Error {}',
        `export function compile() { ${missing('z.compile')}; }`,
        `export function withParser() { ${missing('z.withParser')}; }`,
        `export function compileFn() { ${missing('zod compileFn')}; }`,
      ].join('\n'),
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]classic[\\/]from-json-schema\.js$/ }, () => ({
      contents: `export function fromJSONSchema() { ${missing('z.fromJSONSchema')}; }`,
      loader: 'js',
    }));
  },
};

// Fast path 4 (bin/sophon.cjs). Node built-ins that modules on every command's path import at top level but only some commands
// use: node:crypto (random temp-file names, vault encryption, connection ids; `connect list` uses
// none), node:tty (isatty, for colours and prompts; it loads node:net) and node:child_process
// (commander requires it at load, for executable subcommands, which Sophon has none of), node:os
// (homedir, only when neither --home nor SOPHON_HOME says where the data is). Loading
// them costs ~50 more built-in modules at every start. In the CLI bundle these imports get a
// stand-in that loads the real module on the first call. Only plain
// functions are forwarded (lowercase names); importing anything else (a class, `constants`) from
// these modules fails the build here, so nothing is ever silently undefined. Third-party modules
// other than commander keep the real module.
const LAZY_BUILTINS = { crypto: () => false, tty: () => false, os: () => false, child_process: (importer) => importer.includes('/node_modules/commander/') };
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(crypto|tty|os|child_process)$/ }, (args) => {
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

// import() of an external package (keytar, @inquirer/prompts, …) or a built-in becomes a lazy
// require: the bundle is compiled with vm.Script (bin/load.cjs), where a real import() would need
// Node's experimental main-context loader. Every one of these packages has a CommonJS entry. The
// build fails below if any import() of an outside module is left.
const externalDynamicImports = {
  name: 'external-dynamic-imports',
  setup(b) {
    const outside = (path) => {
      const pkg = path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0];
      return path.startsWith('node:') || builtinModules.includes(path) || [...cliExternalNative, ...cliExternal].includes(pkg);
    };
    b.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' && args.namespace !== 'outside-cjs' && outside(args.path) ? { path: args.path, namespace: 'outside-cjs' } : undefined,
    );
    b.onResolve({ filter: /.*/, namespace: 'outside-cjs' }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'outside-cjs' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

// Outputs of earlier builds (the ES-module build's dist/cli/sophon.mjs and its chunks in dist/; a
// second code cache of the full bundle for `connect list`): never left to be picked up by mistake.
for (const dir of ['dist', 'dist/cli'].filter((d) => existsSync(d))) {
  for (const f of readdirSync(dir).filter((n) => /\.mjs(\.map)?$/.test(n))) rmSync(`${dir}/${f}`, { force: true });
}
rmSync('dist/cli/sophon.cjs.list.cache', { force: true });

// Fast path 8 (bin/sophon.cjs). The list bundle (electron/cli/list-main.ts) leaves out what a `connect list` never runs: OAuth
// (with openid-client), the importer, the connection testers, the broker, backups and their schedule, audit verification. Each is a stand-in that throws an error
// named as list-main.ts expects, so if a list ever reached one, the full CLI would run it instead.
const LEFT_OUT_OF_LIST = /[\\/]electron[\\/]core[\\/](oauth[\\/][^\\/]+|import[\\/]importer|connections[\\/](tester|http-test|mail-test)|broker[\\/]index|backup[\\/](backup|schedule)|audit[\\/]audit-verify)\.ts$/;
const leftOutOfList = {
  name: 'left-out-of-list',
  setup(b) {
    b.onLoad({ filter: LEFT_OUT_OF_LIST }, (args) => ({
      contents: `const e = new Error(${JSON.stringify(`${args.path.replace(/^.*[\\/]electron[\\/]/, 'electron/')} is not in the connect list bundle (scripts/build.mjs)`)}); e.name = 'sophon-left-out-of-list-bundle'; throw e;`,
      loader: 'js',
    }));
  },
};

// Fast path 2 (bin/sophon.cjs). CommonJS, not ESM: an ES module costs the loader an async resolve/read/link per file (esbuild's
// code splitting made ~25 chunks for `connect list`), and each ES import of a built-in builds a facade
// that reads every export (fs's stream getters load node:stream). Dynamic import() of our own modules
// becomes a lazy init inside the bundle: a command still runs only the modules it uses. One bundle
// also keeps every class single-instance (isSophonError's instanceof). Two bundles are built: the
// full CLI, and one for a plain `connect list` (see electron/cli/list-main.ts), which never meet in
// one process.
const BUILD_ID_PLACEHOLDER = '0'.repeat(16);
// What the CLI's bundles and the audit verify worker's have in common.
const NODE_CJS = {
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Startup time is parse + compile of this bundle: minified, it starts measurably faster.
  minify: process.env.SOPHON_BUILD_DEBUG ? false : true,
  // CommonJS has no import.meta.url (dashboard.ts finds dist/renderer from it): the bundle's own URL.
  inject: ['scripts/cli-import-meta-url.js'],
  logLevel: 'warning',
};
async function buildCli(entry, name, plugins) {
  const result = await build({
    ...NODE_CJS,
    entryPoints: { [`cli/${name}`]: entry },
    external: [...cliExternalNative, ...cliExternal],
    plugins: [...plugins, zodEnglishOnly, zodTrim, lazyBuiltins, externalDynamicImports],
    metafile: true,
    // `sophon --version`: package.json's version, fixed at build time (no file read at run time).
    define: { 'import.meta.url': 'cliImportMetaUrl', SOPHON_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
    // The build id (filled in below) ties the code cache to this exact bundle. A comment only: the
    // bundle's "use strict" must stay its first statement.
    banner: { js: `/*sophon-build:${BUILD_ID_PLACEHOLDER}*/` },
  });
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    const left = output.imports.filter((i) => i.kind === 'dynamic-import' && i.external).map((i) => i.path);
    if (left.length) throw new Error(`${file} still has import() of ${left.join(', ')}: add it to the CLI's externals (scripts/build.mjs)`);
  }
  finishBundle(`dist/cli/${name}.cjs`);
}

// Fast path 6 (bin/sophon.cjs). A single non-ASCII character makes Node read the whole bundle as a two-byte string and V8 scan it
// on its slower path (esbuild escapes strings but leaves regex literals as written, e.g. a quote class
// in powershell-utils). \uXXXX means the same character in strings, templates, regexes and names.
function finishBundle(file) {
  const code = readFileSync(file, 'utf8');
  const ascii = code.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // bin/load.cjs reads the bundle as latin1 (no decoding), so it must be ASCII. (An escaped non-ASCII
  // character, `\‘`, would turn into `\\u2018`: the build stops rather than change its meaning.)
  if (/\\[\u0080-\uffff]/.test(code)) throw new Error(`${file}: an escaped non-ASCII character; cannot make the bundle ASCII`);
  // V8 checks a code cache against the source's length only: the cache records this build id (a hash
  // of the bundle), and bin/load.cjs uses a cache only when the ids match. Written by rename, so a
  // command starting meanwhile sees the old bundle or the new one, never half of one.
  const id = createHash('sha256').update(ascii).digest('hex').slice(0, 16);
  // Written as the function bin/load.cjs compiles (CommonJS's module wrapper): the loader then hands
  // V8 the file's text as it is, rather than a wrapped copy that V8 would flatten into a third string
  // of the bundle's size. Line 2 onwards stay where the source map says.
  const { WRAPPER_START, WRAPPER_END } = createRequire(import.meta.url)('../bin/load.cjs');
  writeFileSync(`${file}.tmp`, ascii.replace(`/*sophon-build:${BUILD_ID_PLACEHOLDER}*/`, `/*sophon-build:${id}*/${WRAPPER_START}`) + WRAPPER_END);
  renameSync(`${file}.tmp`, file);
}

await buildCli('electron/cli/main.ts', 'sophon', []);
try {
  await buildCli('electron/cli/list-main.ts', 'sophon-list', [leftOutOfList]);
} catch (err) {
  // E.g. a module on the list's path now imports a left-out one by name. Lists then run from the full
  // CLI (bin/sophon.cjs falls back when the list bundle is missing): slower, still right.
  console.warn(`build: no list bundle (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); connect list runs from the full CLI.`);
  for (const f of ['sophon-list.cjs', 'sophon-list.cjs.map', 'sophon-list.cjs.cache']) rmSync(`dist/cli/${f}`, { force: true });
}
// The parallel `audit verify`'s worker thread (electron/core/audit/parallel-verify.ts looks for it next to
// the CLI bundle). Node loads it as a plain CommonJS file, not through bin/load.cjs; it holds only what a
// worker runs: the chain's checks and a read-only connection (better-sqlite3's JavaScript bundled, as in the CLI).
await build({
  ...NODE_CJS,
  entryPoints: { 'cli/audit-verify-worker': 'electron/core/audit/chain-part-worker.ts' },
  external: cliExternalNative,
  define: { 'import.meta.url': 'cliImportMetaUrl' },
});
await writeCodeCaches();

/**
 * Fast path 7 (bin/sophon.cjs). V8's code caches for the bundles (see bin/load.cjs): each bundle is compiled here, commands run once
 * in this process in an empty throwaway SOPHON_HOME (settings, vault, database, catalog), and what V8
 * compiled is saved next to it — for the full CLI after `--help` and `connect list` with and without
 * `--available`, for the list bundle after `connect list` in words and in JSON. Compiled code only;
 * nothing a command printed or read is kept. If anything fails, there is no cache and commands
 * compile the bundle as they start.
 */
async function writeCodeCaches() {
  const { BUNDLES, loadCli } = createRequire(import.meta.url)('../bin/load.cjs');
  const warmUps = {
    full: [['--help'], ['connect', 'list', '--json'], ['connect', 'list', '--available', '--json']],
    list: [['connect', 'list'], ['connect', 'list', '--json']],
  };
  const home = mkdtempSync(join(tmpdir(), 'sophon-build-'));
  try {
    for (const [bundle, argvs] of Object.entries(warmUps)) {
      if (!existsSync(BUNDLES[bundle])) continue;
      const cache = `${BUNDLES[bundle]}.cache`;
      rmSync(cache, { force: true });
      try {
        const cli = loadCli({ bundle, cache: false });
        const quiet = { out() {}, err() {}, json() {}, color: false, isTTY: false };
        const env = { ...process.env, SOPHON_HOME: home, SOPHON_USER: 'default' };
        for (const argv of argvs) {
          const code = await cli.exports.main(argv, quiet, env);
          if (code !== 0) throw new Error(`sophon ${argv.join(' ')} (${bundle} bundle) exited ${code}`);
        }
        writeFileSync(`${cache}.tmp`, Buffer.concat([Buffer.from(`${cli.buildId}\n`, 'latin1'), cli.script.createCachedData()]));
        renameSync(`${cache}.tmp`, cache);
      } catch (err) {
        console.warn(`build: no code cache for ${BUNDLES[bundle]} (${err instanceof Error ? err.message : String(err)}); it still works, compiling as it starts.`);
        rmSync(cache, { force: true });
      }
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

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
