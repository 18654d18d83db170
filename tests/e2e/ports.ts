/**
 * Where the browser-test servers listen. E2E_PORT_OFFSET shifts every port, so two checkouts on one
 * machine can run their browser suites side by side.
 */
const offset = Number(process.env.E2E_PORT_OFFSET ?? 0);

export const E2E_PORTS = {
  app: 3100 + offset,
  postgres: 54339 + offset,
  smtpSink: 2525 + offset,
  httpSink: 4010 + offset,
  // A second app server without a proxy setting: tests/e2e/client-address.spec.ts.
  directApp: 3101 + offset,
  directPostgres: 54340 + offset,
} as const;
