#!/usr/bin/env node
'use strict';
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file: require is how it imports */
// The `sophon` command. The real program is the bundles that `npm install` builds (scripts/build.mjs),
// loaded by bin/load.cjs: a plain `connect list` runs from the small list bundle, everything else (and
// a list the list bundle hands back) from the full CLI.
//
// THE CLI'S FAST PATHS: the one list. Every measure that makes a command start faster is here, with
// why and where it lives; the code of each says "fast path N (bin/sophon.cjs)". Each one keeps
// behaviour: take one out and every command still works, only slower. The benchmark is
// `connect list --json` with 1,000 connections against `node -e 0` (docs/benchmarks.md: target
// <= 2x); test/integration/cli/startup.test.ts keeps the built-in modules it loads down.
//
//  1. A CommonJS entry (this file). Node starts an .mjs entry through its ES module loader: ~18 more
//     built-in modules, ~7% of `node -e 0` on every command. bin/sophon.mjs only imports this.
//  2. One CommonJS bundle, dist/cli/sophon.cjs (scripts/build.mjs, buildCli): ES modules cost the
//     loader a resolve/read/link per file and a facade per built-in import; import() of our own
//     modules becomes a lazy init inside the bundle, so a command still runs only what it uses.
//  3. Large packages few commands use stay out of the bundle and are required on first use
//     (build.mjs cliExternal: nodemailer, imapflow, yaml, @inquirer/prompts, the MCP SDK); modules on
//     every command's path import them inside the function that needs them (e.g. gh.ts's yaml).
//     better-sqlite3's JavaScript is bundled, its addon loaded by path.
//  4. Lazy built-ins (build.mjs LAZY_BUILTINS): node:crypto, node:tty, node:os and commander's
//     node:child_process are stand-ins that load the real module on the first call (~50 fewer
//     built-in modules at start).
//  5. zod trimmed for the CLI (build.mjs zodEnglishOnly, zodTrim): English messages only, no
//     z.compile / z.fromJSONSchema (stand-ins that throw); zod runs jitless (cli/main.ts, list-main.ts).
//  6. An ASCII bundle (build.mjs finishBundle), read with its cache into one buffer as latin1
//     (load.cjs): a one-byte string, no decoding, no second copy.
//  7. V8's code cache per bundle (build.mjs writeCodeCaches, load.cjs loadCli): compiled code only,
//     made by running --help and connect list once at build time in a throwaway home; used only
//     for the build id it was made for, and V8 compiles as usual when it refuses one.
//  8. The list bundle, dist/cli/sophon-list.cjs (entry electron/cli/list-main.ts; build.mjs
//     LEFT_OUT_OF_LIST): a plain `connect list [--json]` runs without commander, OAuth, the importer
//     or the testers. looksLikeList (load.cjs) picks it below; anything it does not handle is handed
//     back, having printed nothing, to the full CLI.
//  9. Output goes straight to the file descriptor (electron/cli/io.ts): process.stdout would build
//     node:net and node:stream for a pipe.
// 10. The log (electron/core/log/log.ts) loads pino and opens its file only with the first line at
//     or above its level: a command that logs nothing pays nothing.
const { loadCli, looksLikeList } = require('./load.cjs');

async function run(argv) {
  // Fast path 8.
  if (looksLikeList(argv)) {
    const code = await loadCli({ bundle: 'list' })?.exports.main(argv);
    if (code !== undefined) return code;
  }
  const cli = loadCli();
  if (!cli) {
    process.stderr.write('sophon: the CLI is not built yet; run `npm install` (or `npm run build`) in the checkout.\n');
    return 1;
  }
  return cli.exports.main(argv);
}

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
