// Fixtures load lib/ modules guarded with `import 'server-only'`; this lets them (and, through
// NODE_OPTIONS, the workers and web servers started from here) resolve the guard.
import './scripts/server-only.mjs';
import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';
import { stopStaleListeners, whenProcessGone } from './lib/config/processes';
import { E2E_PORTS } from './tests/e2e/ports';
import { appServerEnv, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } from './tests/e2e/server-env';

const PORT = E2E_PORTS.app;
// Fixtures write audit lines from the test process (tests/e2e/fixtures.ts), chained with the server's key.
process.env.AUDIT_KEY = appServerEnv({ app: PORT, postgres: E2E_PORTS.postgres }).AUDIT_KEY;
// tests/support/message-sinks.ts; tests/e2e/support.ts reads what it received.
const SINK_SMTP_PORT = E2E_PORTS.smtpSink;
const SINK_HTTP_PORT = E2E_PORTS.httpSink;

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

// In the runner process (workers load this file too): a run of this checkout that was killed outright
// may have left its servers on our ports; they would make the new ones fail to start. And when
// `npm test` (scripts/test.ts) is killed, this run stops too, taking its servers with it.
if (!process.env.TEST_WORKER_INDEX) {
  stopStaleListeners([PORT, SINK_SMTP_PORT, SINK_HTTP_PORT], process.cwd());
  if (process.env.REGAIN_RUNNER_PID) whenProcessGone(Number(process.env.REGAIN_RUNNER_PID), () => process.kill(process.pid, 'SIGINT'));
}
// Each server stops by itself when this runner is gone (scripts/dev.ts, tests/support/message-sinks.ts),
// and is asked to stop with SIGTERM, not killed, so it removes its throwaway database.
const stopsWithRunner = { REGAIN_RUNNER_PID: String(process.pid) };
const gracefulShutdown = { signal: 'SIGTERM', timeout: 30_000 } as const;

export default defineConfig({
  testDir: 'tests/e2e',
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  // Bounds for giving up, not for speed: on a busy two-core machine a page with an axe check can take
  // ten seconds. Tests wait on conditions, never on time; the long journeys are split or marked
  // test.slow() (three times this).
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: '.data/test-results/e2e.json' }]],
  outputDir: '.data/test-results/e2e',
  use: {
    // WebAuthn needs the localhost host name; 127.0.0.1 is not a valid relying-party id.
    baseURL: `http://localhost:${PORT}`,
    // Kept for failures only, yet recorded for every test: DOM snapshots and network, without the
    // screencast, whose frames cost CPU a two-core machine running the server and Chromium lacks.
    trace: { mode: 'retain-on-failure', screenshots: false },
    screenshot: 'only-on-failure',
    launchOptions: executablePath
      ? {
          executablePath,
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        }
      : {},
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
  webServer: [
    {
      // The inboxes and phones: an SMTP sink and a Twilio-compatible fake that keep what the app sends.
      command: 'tsx --import ./scripts/server-only.mjs tests/support/message-sinks.ts',
      url: `http://127.0.0.1:${SINK_HTTP_PORT}/sinks/messages`,
      env: { SINK_SMTP_PORT: String(SINK_SMTP_PORT), SINK_HTTP_PORT: String(SINK_HTTP_PORT), TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, ...stopsWithRunner },
      reuseExistingServer: false,
      gracefulShutdown,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // A production build on a throwaway embedded database with the demo data (npm test builds first).
      // Production refuses outbox transports, so codes go by real SMTP and the real Twilio client to the sinks.
      // Through the server entry (scripts/serve.ts, via dev.ts), as `npm start` runs in production.
      command: 'tsx --import ./scripts/server-only.mjs scripts/dev.ts --start --ephemeral',
      url: `http://localhost:${PORT}/api/health`,
      env: {
        ...appServerEnv({ app: PORT, postgres: E2E_PORTS.postgres }),
        // The test runner plays the one proxy in front (docs/security.md rule 24): the journeys give each
        // file its own client address with X-Forwarded-For, so the per-IP limits one file trips stay
        // its own. tests/e2e/client-address.spec.ts runs a second server without this setting.
        TRUSTED_PROXY_HOPS: '1',
        ...stopsWithRunner,
      },
      reuseExistingServer: false,
      gracefulShutdown,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
