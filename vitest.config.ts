import { defineConfig } from 'vitest/config';

// Unit and integration tests. The browser tests are @playwright/test's (playwright.config.ts).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // keytar, better-sqlite3, argon2 and pkcs11js are native: child processes, not worker threads.
    pool: 'forks',
    // Files one after another, as before: many start servers, keyrings and CLI children whose timing
    // the other core would otherwise steal.
    maxWorkers: 1,
    // Tests drive real servers, real browsers for OAuth consent and real CLI processes.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // What a test printed (oidc-provider's development notices, servers' logs) is shown only when it fails.
    silent: 'passed-only',
  },
});
