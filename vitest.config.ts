import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { whenProcessGone } from './lib/config/processes';

// Under `npm test` (scripts/test.ts): stop when that runner is gone, even if it was killed outright.
if (process.env.REGAIN_RUNNER_PID) whenProcessGone(Number(process.env.REGAIN_RUNNER_PID), () => process.kill(process.pid, 'SIGTERM'));

// `server-only` throws unless resolved for React server bundles; under test, lib/ is server code
// already, so the guard resolves to its empty module (scripts/server-only.mjs does the same for tsx).
const alias = { '@': path.resolve(import.meta.dirname), 'server-only': path.resolve(import.meta.dirname, 'node_modules/server-only/empty.js') };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/support/global-database.ts', 'tests/support/global-meilisearch.ts'],
          setupFiles: ['tests/support/audit-key.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
