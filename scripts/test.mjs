// `npm test`: type-check, lint, build, then every test under test/: vitest for the unit and integration
// tests (vitest.config.ts), @playwright/test for the browser tests in test/e2e (playwright.config.ts).
// Keychain tests need a Secret Service: when no session bus is present (a terminal without a desktop),
// the run re-starts itself inside a private D-Bus session with a throwaway, unlocked gnome-keyring,
// so it never touches the person's own keyring.
// `node scripts/test.mjs <files…>` runs just those files (each with its own runner), after a build.
import { spawnSync } from 'node:child_process';
import { ensureKeyringSession } from './keyring-session.mjs';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}
const must = (status) => status === 0 || process.exit(status);

ensureKeyringSession('scripts/test.mjs');

const only = process.argv.slice(2);
if (only.length === 0) {
  must(run('npm', ['run', '--silent', 'typecheck']));
  must(run('npm', ['run', '--silent', 'lint']));
}
must(run('node', ['scripts/build.mjs']));

const isBrowserTest = (f) => /(^|\/)test\/e2e\//.test(f);
const vitestFiles = only.filter((f) => !isBrowserTest(f));
const browserFiles = only.filter(isBrowserTest);
const bin = (name) => `node_modules/.bin/${name}`;
// Both runners run even when the first fails, so one run reports every failure.
const unit = only.length === 0 || vitestFiles.length ? run(bin('vitest'), ['run', ...vitestFiles]) : 0;
const browser = only.length === 0 || browserFiles.length ? run(bin('playwright'), ['test', ...browserFiles]) : 0;
process.exit(unit || browser);
