#!/usr/bin/env node
// The `sophon` command. The real program is the bundle that `npm install` builds.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/sophon.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('sophon: the CLI is not built yet; run `npm install` (or `npm run build`) in the checkout.\n');
  process.exit(1);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv.slice(2));
