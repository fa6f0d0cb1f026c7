// Builds the console into dist/, which the gateway embeds (services/gateway/src/console.rs).
// Output names carry no content hash so the gateway's list of embedded files stays fixed;
// the gateway serves them with an ETag instead.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false,
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/console.js',
        chunkFileNames: 'assets/[name].js',
        assetFileNames: 'assets/console[extname]',
      },
    },
  },
  server: {
    // `npm run dev` against a running gateway: API calls go to it.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/openapi.json': 'http://127.0.0.1:8080' },
  },
});
