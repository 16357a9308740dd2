import { defineConfig } from 'vite';

const server = 'http://127.0.0.1:8080';

// No React plugin: Oxc, Vite's built-in transformer, compiles TSX with the
// automatic JSX runtime. `plumb serve` must be running for the dev proxy.
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  server: {
    proxy: {
      '/api': server,
      '/media': server,
    },
  },
  build: { outDir: 'dist' },
});
