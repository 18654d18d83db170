import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

const PORT = 3100;

/**
 * Chromium by detection: CHROMIUM_PATH, else Debian's /usr/bin/chromium, else Playwright's own
 * browser (whatever `npx playwright install` put on a developer's machine).
 */
function chromiumExecutable(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

const executablePath = chromiumExecutable();

export default defineConfig({
  testDir: 'tests/e2e',
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 30_000,
  reporter: [['list'], ['json', { outputFile: '.data/test-results/e2e.json' }]],
  outputDir: '.data/test-results/e2e',
  use: {
    // WebAuthn needs the localhost host name; 127.0.0.1 is not a valid relying-party id.
    baseURL: `http://localhost:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: executablePath
      ? {
          executablePath,
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        }
      : {},
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
  webServer: {
    // A production build on a throwaway embedded database with the demo data (npm test builds first).
    command: 'tsx scripts/dev.ts --start --ephemeral',
    url: `http://localhost:${PORT}/api/health`,
    env: { PORT: String(PORT), EMBEDDED_PG_PORT: '54339', NODE_ENV: 'production', APP_URL: `http://localhost:${PORT}`, ENABLE_TEST_CLOCK: 'true', MEILISEARCH_URL: '' },
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
