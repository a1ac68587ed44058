// The reference web app: built into dist/web, which the service serves at `/`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  resolve: {
    // The SDK from its source: one build, no separate publish step for the app.
    alias: { '@chat-backend/sdk': here('../packages/sdk/src/index.ts') },
  },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
  // `npm run dev:web`: the app with hot reload, the API from a service on :3000.
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/ws': { target: 'ws://localhost:3000', ws: true },
    },
  },
});
