// The browser tests (test/e2e): @playwright/test driving Debian's Chromium, never a downloaded browser.
// Run inside a D-Bus session with an unlocked keyring, after `node scripts/build.mjs` (the tests start
// the built `sophon dashboard`).
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/helpers/browser';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.test.ts',
  // Fails with one line naming the missing executable before any test launches a browser.
  globalSetup: './test/e2e/global-setup.ts',
  // Each file starts a real `sophon dashboard` and Chromium; the machine has two cores.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  // A test may wait 30 s for an OAuth sign-in page and then for the dashboard to notice.
  timeout: 120_000,
  outputDir: 'test-results/e2e',
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    // The per-call limits playwright-core had before (30 s): a stuck wait fails with its locator named.
    actionTimeout: 30_000,
    navigationTimeout: 30_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
