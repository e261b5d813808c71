// The renderer's build: Vite (React) into dist/renderer/ — index.html plus hashed assets, no inline
// scripts or styles, so the app runs under a strict Content-Security-Policy (default-src 'self').
// Paths are relative to `root` (this folder; scripts/build.mjs passes it) and assets are linked
// relatively ('./'), so the same files load from the dashboard server at / and from file:// in Electron.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build as esbuild } from 'esbuild';
import { defineConfig, type Plugin } from 'vite';

/**
 * The page loads src/boot-entry.ts first: a small classic script, parser-blocking and placed ahead of
 * the style sheet, so it runs as the document is parsed (a module or async script waits behind the
 * browser's first style and layout, ~100 ms on a slow machine). It starts the first calls, paints the
 * list from their answers, then imports the app (src/main.tsx, Vite's entry), whose chunks are named
 * here as modulepreload links so the browser fetches and compiles them while the calls travel. Built
 * with esbuild as one IIFE, content-hashed like the other assets.
 */
function bootScript(): Plugin {
  let app: { fileName: string; imports: string[] } | undefined;
  return {
    name: 'sophon-boot-script',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find((c) => c.type === 'chunk' && c.isEntry);
      if (entry?.type === 'chunk') app = { fileName: entry.fileName, imports: entry.imports };
    },
    // When index.html is written (Vite 8 emits it after the chunks, with the app's script tag put in last).
    writeBundle: {
      order: 'post',
      async handler(options, bundle) {
        if (!bundle['index.html']) return;
        if (!app || !options.dir) throw new Error('vite: no entry chunk (src/main.tsx) or output folder');
        const page = join(options.dir, 'index.html');
        const html = readFileSync(page, 'utf8');
        const appTag = `<script type="module" crossorigin src="./${app.fileName}"></script>`;
        // The boot script takes the app's script tag's place: first of the page's requests, ahead of the style sheet.
        const at = html.indexOf(appTag);
        if (at < 0 || !(at < html.indexOf('<link rel="stylesheet"'))) throw new Error(`vite: index.html lacks the app's script tag (${appTag}) ahead of a style sheet link`);
        const appUrl = `./${app.fileName.split('/').pop()}`;
        const built = await esbuild({
          entryPoints: [fileURLToPath(new URL('./src/boot-entry.ts', import.meta.url))],
          bundle: true,
          write: false,
          format: 'iife',
          minify: true,
          target: 'es2022',
          // Relative to the boot script's own URL (assets/), as import() in a classic script resolves.
          define: { SOPHON_APP_CHUNK: JSON.stringify(appUrl) },
          external: [appUrl],
          logLevel: 'warning',
        });
        const code = built.outputFiles[0]!.text;
        const fileName = `assets/boot-${createHash('sha256').update(code).digest('hex').slice(0, 8)}.js`;
        writeFileSync(join(options.dir, fileName), code);
        const bootTag = `<script src="./${fileName}"></script>\n    `;
        const preload = [app.fileName, ...app.imports]
          .filter((f) => !html.includes(`href="./${f}"`))
          .map((f) => `<link rel="modulepreload" crossorigin href="./${f}">`)
          .join('\n    ');
        writeFileSync(page, html.replace(appTag, bootTag + preload));
      },
    },
  };
}


export default defineConfig({
  plugins: [react(), bootScript()],
  base: './',
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // Vite would inline small assets as data: URLs and add a modulepreload polyfill (inline code): neither fits the CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    // The app's chunk is app-<hash>.js (not index-…, the page's name): the boot script imports it.
    rollupOptions: { output: { entryFileNames: 'assets/app-[hash].js' } },
  },
  logLevel: 'warn',
});
