// Layering is enforced here, not by convention: the folder a file lives in says what it may import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'crypto', 'child_process', 'net', 'http', 'https', 'url', 'util', 'stream', 'events'];
const electronModules = ['electron', 'electron/*'];

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'release/', 'test/e2e/screenshots/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: restrict([...nodeBuiltins, ...electronModules, 'react', 'react-dom', '**/electron/**', '**/renderer/**'],
      'shared/ is the contract: no Node, no DOM, no electron, no implementation.'),
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: restrict([...electronModules, '**/renderer/**', '**/electron/main/**', '**/electron/preload/**', '**/cli/**', '**/server/**'],
      'electron/core is plain Node: it never imports electron, a door (cli, server, main) or the renderer.'),
  },
  {
    files: ['electron/cli/**/*.ts', 'electron/server/**/*.ts'],
    rules: restrict([...electronModules, '**/renderer/**', '**/electron/main/**', '**/electron/preload/**'],
      'The CLI and the REST server run under plain Node: no electron, no renderer code.'),
  },
  {
    // The app hosts the broker proxy (electron/server/broker/*), as `sophon broker serve` does headless;
    // the REST server and dashboard (files directly in electron/server) stay out.
    files: ['electron/main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/renderer/**', '**/cli/**'], message: 'electron/main runs the core over IPC: no CLI, no renderer code.' },
        { regex: '(^|/)server/(?!broker/)', message: 'electron/main hosts only the broker proxy of electron/server, never the REST server or dashboard.' },
      ] }],
    },
  },
  {
    // The window rules and the tray model are pure so they are unit-tested without Electron.
    files: ['electron/main/policy.ts', 'electron/main/tray-model.ts'],
    rules: restrict([...electronModules, '**/renderer/**', '**/cli/**', '**/server/**', '**/core/**'],
      'policy.ts and tray-model.ts are pure: no electron, no core.'),
  },
  {
    // The preload runs sandboxed in the renderer process: only electron's renderer APIs and the zod-free names.
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: [...nodeBuiltins, '**/core/**', '**/cli/**', '**/server/**', '**/main/**', '**/renderer/**', 'zod', '**/shared/contract'], allowTypeImports: true, message: 'The preload exposes the contract\'s operations only: electron and shared/operations, no Node, core or zod.' },
      ] }],
    },
  },
  {
    // What the renderer and preload load at runtime stays zod-free (contract.ts only as `import type`).
    files: ['shared/operations.ts', 'shared/client.ts', 'shared/security.ts', 'shared/errors.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: [...nodeBuiltins, ...electronModules, 'react', 'react-dom', '**/electron/**', '**/renderer/**'], message: 'shared/ is the contract: no Node, no DOM, no electron, no implementation.' },
        { group: ['zod', './contract', './connections'], allowTypeImports: true, message: 'Zod-free: the renderer and preload load this file; import schemas with `import type` only.' },
      ] }],
    },
  },
  {
    // Node built-ins matched as bare specifiers only, so the renderer's own ./transport/http is not mistaken for `http`.
    files: ['renderer/**/*.{ts,tsx}'],
    // The renderer's build configuration runs under Node (it builds the boot script with esbuild).
    ignores: ['renderer/vite.config.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: `^(node:.*|${nodeBuiltins.filter((b) => !b.includes(':')).map((b) => b.replace('/*', '(/.*)?')).join('|')})$`, message: 'The renderer speaks only the shared contract (SophonApi); it never imports Node, electron or core.' },
        { group: [...electronModules, '**/electron/**'], message: 'The renderer speaks only the shared contract (SophonApi); it never imports Node, electron or core.' },
      ] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        // vitest's test.only / describe.skip / it.todo, and Playwright's test.fixme, test.describe.only,
        // test.describe.serial.skip and the like.
        { selector: "MemberExpression[property.name=/^(only|skip|skipIf|runIf|todo|fixme)$/]:matches([object.name=/^(it|test|describe|suite)$/], [object.property.name=/^(describe|serial|parallel)$/])", message: 'No focused, skipped or todo tests.' },
        { selector: "Property[key.name=/^(skip|only|todo|fixme)$/]", message: 'No focused, skipped or todo test options.' },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'node:test', message: 'Tests run on vitest (test/unit, test/integration) and @playwright/test (test/e2e), not node:test.' }] }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
