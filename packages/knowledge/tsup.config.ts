import { defineConfig } from 'tsup';

export default defineConfig({
  // the reader threads of a large first build (readers.ts) load learning-reader.js from beside the index's chunk
  entry: ['src/index.ts', 'src/learning-reader.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});
