#!/usr/bin/env node
// The `sophon` command. The real program is the bundle that `npm install` builds (scripts/build.mjs),
// loaded by bin/load.cjs.
import { createRequire } from 'node:module';

const cli = createRequire(import.meta.url)('./load.cjs').loadCli();
if (!cli) {
  process.stderr.write('sophon: the CLI is not built yet; run `npm install` (or `npm run build`) in the checkout.\n');
  process.exit(1);
}
process.exitCode = await cli.exports.main(process.argv.slice(2));
