// Builds the console into dist/, which the gateway embeds (services/gateway/build.rs lists
// the files, src/console.rs serves them). Scripts and styles carry a content hash in their
// names, so the gateway lets browsers cache them for good; index.html is revalidated.
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
        entryFileNames: 'assets/console-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/console-[hash][extname]',
      },
    },
  },
  server: {
    // `npm run dev` against a running gateway: API calls go to it.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/openapi.json': 'http://127.0.0.1:8080' },
  },
});
