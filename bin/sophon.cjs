#!/usr/bin/env node
'use strict';
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file: require is how it imports */
// The `sophon` command. The real program is the bundle that `npm install` builds (scripts/build.mjs),
// loaded by bin/load.cjs. CommonJS, not an ES module: Node starts an .mjs entry through its ES module
// loader (~18 more built-in modules, ~7% of `node -e 0` on every command).
const argv = process.argv.slice(2);
const cli = require('./load.cjs').loadCli({ argv });
if (!cli) {
  process.stderr.write('sophon: the CLI is not built yet; run `npm install` (or `npm run build`) in the checkout.\n');
  process.exit(1);
}
cli.exports.main(argv).then((code) => {
  process.exitCode = code;
});
