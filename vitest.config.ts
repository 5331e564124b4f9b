import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package's own `tollgate/core` (examples/edge import it) is the source under test, as tsc resolves it.
  resolve: { alias: { 'tollgate/core': fileURLToPath(new URL('./src/core/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores: forks keep native modules (better-sqlite3, argon2) isolated per worker.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
