// `npm run bench`: every bench/*.bench.ts in turn, each printing its own table with the baseline it
// measured in the same run. Builds first so CLI benchmarks time the real bundle.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { ensureKeyringSession } from './keyring-session.mjs';

ensureKeyringSession('scripts/bench.mjs');

const run = (args) => {
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(['scripts/build.mjs']);
const only = process.argv.slice(2);
for (const file of readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).sort()) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  run(['--import', 'tsx', `bench/${file}`]);
}
