// `npm test`: type-check, lint, build, then every test under test/ with Node's test runner.
// Keychain tests need a Secret Service: when no session bus is present (a terminal without a desktop),
// the run re-starts itself inside a private D-Bus session with a throwaway, unlocked gnome-keyring,
// so it never touches the person's own keyring.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureKeyringSession } from './keyring-session.mjs';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

ensureKeyringSession('scripts/test.mjs');

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const only = process.argv.slice(2);
if (only.length === 0) {
  run('npm', ['run', '--silent', 'typecheck']);
  run('npm', ['run', '--silent', 'lint']);
}
run('node', ['scripts/build.mjs']);
const files = only.length ? only : findTests('test');
run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]);
