#!/usr/bin/env node
'use strict';
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file: require is how it imports */
// The `sophon` command. The real program is the bundles that `npm install` builds (scripts/build.mjs),
// loaded by bin/load.cjs: a plain `connect list` runs from the small list bundle, everything else (and
// a list the list bundle hands back) from the full CLI. CommonJS, not an ES module: Node starts an .mjs
// entry through its ES module loader (~18 more built-in modules, ~7% of `node -e 0` on every command).
const { loadCli, looksLikeList } = require('./load.cjs');

async function run(argv) {
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
