import { E2E_PORTS } from './ports';

export const TWILIO_ACCOUNT_SID = 'AC00000000000000000000000000000000';
export const TWILIO_AUTH_TOKEN = 'test-auth-token';

/**
 * The environment of a browser-test app server (scripts/dev.ts --start --ephemeral): a production
 * build on a throwaway embedded database with the demo data. Production refuses outbox transports,
 * so codes go by real SMTP and the real Twilio client to the message sinks. playwright.config.ts
 * starts the main one; tests/e2e/client-address.spec.ts starts a second one without a proxy setting.
 */
export function appServerEnv(ports: { app: number; postgres: number }): Record<string, string> {
  return {
    PORT: String(ports.app),
    EMBEDDED_PG_PORT: String(ports.postgres),
    NODE_ENV: 'production',
    APP_URL: `http://localhost:${ports.app}`,
    ENABLE_TEST_CLOCK: 'true',
    // The journeys through approval finish in one sitting; the owner's cancel window (docs/security.md
    // rule 27) is tested in tests/integration/ticket-owner.test.ts.
    TICKET_CANCEL_WINDOW_HOURS: '0',
    MEILISEARCH_URL: '',
    EMAIL_TRANSPORT: 'smtp',
    SMTP_URL: `smtp://127.0.0.1:${E2E_PORTS.smtpSink}`,
    SMS_TRANSPORT: 'twilio',
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_FROM: '+15005550006',
    TWILIO_API_BASE_URL: `http://127.0.0.1:${E2E_PORTS.httpSink}`,
    // Same keys as tests/e2e/support.ts (E2E), so tests can create fixtures this server accepts.
    HMAC_KEY: 'ZTJlLXRlc3RzLW9ubHktaG1hYy1rZXktMzItYnl0ZXM=',
    AUDIT_KEY: 'ZTJlLXRlc3RzLW9ubHktYXVkaXQtY2hhaW4ta2V5MzI=',
    ENCRYPTION_KEY: 'ZTJlLXRlc3RzLW9ubHktYWVzLWtleS0wMDAzMi1ieXQ=',
    // Webhooks go to the sinks; the same secret is E2E.webhookSecret, so tests can verify signatures.
    HOST_WEBHOOK_URL: `http://127.0.0.1:${E2E_PORTS.httpSink}/sinks/webhooks`,
    HOST_WEBHOOK_SECRET: 'e2e-tests-only-webhook-secret-0123456789',
  };
}
