// The renderer's build: Vite (React) into dist/renderer/ — index.html plus hashed assets, no inline
// scripts or styles, so the app runs under a strict Content-Security-Policy (default-src 'self').
// Paths are relative to `root` (this folder; scripts/build.mjs passes it) and assets are linked
// relatively ('./'), so the same files load from the dashboard server at / and from file:// in Electron.
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * src/boot.ts is its own entry chunk, loaded by an `async` module script ahead of the app: it runs as
 * soon as it arrives (a few KB) and starts the first screen's API calls, which then travel while the
 * browser is still compiling and running React and the rest of the app. The app imports the same chunk,
 * so boot runs once.
 */
function bootFirst(): Plugin {
  return {
    name: 'sophon-boot-first',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find((c) => c.type === 'chunk' && c.isEntry && c.name === 'boot');
        if (!chunk) return html;
        // Ahead of the app's script tag, so its fetch and compile are queued first.
        const tag = `<script type="module" async crossorigin src="./${chunk.fileName}"></script>\n    `;
        const at = html.indexOf('<script');
        return at < 0 ? html : html.slice(0, at) + tag + html.slice(at);
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), bootFirst()],
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
    // Relative to `root` (this folder).
    rollupOptions: { input: { index: 'index.html', boot: 'src/boot.ts' } },
  },
  logLevel: 'warn',
});
