import { defineConfig } from 'vite';

// The console is served under /console/ on the API's own origin (npm start, CloudFront), so the
// session cookie stays first-party. In development `vite` proxies the API to the local server.
const api = process.env.CONSOLE_API_URL ?? 'http://localhost:3000';
const apiPaths = ['/auth', '/me', '/accounts', '/invitations', '/health'];

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target: api, changeOrigin: false }])),
  },
});
