// The renderer's build: Vite (React) into dist/renderer/ — index.html plus hashed assets, no inline
// scripts or styles, so the app runs under a strict Content-Security-Policy (default-src 'self').
// Paths are relative to `root` (this folder; scripts/build.mjs passes it) and assets are linked
// relatively ('./'), so the same files load from the dashboard server at / and from file:// in Electron.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
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
  },
  logLevel: 'warn',
});
