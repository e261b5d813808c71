/* global require, __filename */
/* eslint-disable @typescript-eslint/no-require-imports -- runs inside the CommonJS bundle */
// Injected into the CommonJS CLI bundle by scripts/build.mjs: what `import.meta.url` means there
// (dashboard.ts finds dist/renderer from it). A module, not a banner statement, so the bundle's
// "use strict" stays its first statement.
export const cliImportMetaUrl = require('node:url').pathToFileURL(__filename).href;
