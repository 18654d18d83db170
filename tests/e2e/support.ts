import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { E2E_PORTS } from './ports';

/** security.md rule 21: no serious or critical axe violations on any page. */
export async function expectNoSeriousA11yViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

// ── What the app sent: tests/support/message-sinks.ts (started by playwright.config.ts) ──────────

export const SINKS_URL = `http://127.0.0.1:${E2E_PORTS.httpSink}/sinks/messages`;

export type SinkMessages = {
  emails: { to: string[]; from: string; subject: string; text: string; receivedAt: string }[];
  sms: { to: string; from: string; body: string; sid: string; receivedAt: string }[];
  calls: { to: string; from: string; twiml: string; sid: string; receivedAt: string }[];
  /** Webhooks the app posted to the host (HOST_WEBHOOK_URL); `body` is the raw JSON the signature covers. */
  webhooks: { event: string; delivery: string; timestamp: string; signature: string; body: string; receivedAt: string }[];
};

/** Every email, text message and call the app has sent since the last clear, oldest first. */
export async function sinkMessages(): Promise<SinkMessages> {
  const response = await fetch(SINKS_URL, { cache: 'no-store' });
  if (!response.ok) throw new Error(`message sinks answered ${response.status}`);
  return (await response.json()) as SinkMessages;
}

export async function clearSinkMessages() {
  const response = await fetch(SINKS_URL, { method: 'DELETE' });
  if (!response.ok) throw new Error(`message sinks answered ${response.status}`);
}

/**
 * The webhooks the app has posted to the host since the last clear, oldest first. The server's
 * worker posts within seconds of the change; wait with `expect.poll` rather than a fixed delay.
 */
export async function webhooksReceived(): Promise<SinkMessages['webhooks']> {
  return (await sinkMessages()).webhooks;
}

/**
 * The 6-digit code in the newest message to `destination` (an email address or an E.164 number;
 * email, SMS or a call's TwiML, which spells it out as "1, 2, 3, ..."). Waits for it to arrive.
 */
export async function latestCodeSentTo(destination: string, options: { timeout?: number } = {}): Promise<string> {
  let code: string | undefined;
  await expect
    .poll(
      async () => {
        code = newestCode(await sinkMessages(), destination);
        return code;
      },
      { message: `a 6-digit code sent to ${destination}`, timeout: options.timeout ?? 10_000 },
    )
    .toMatch(/^\d{6}$/);
  return code!;
}

function newestCode(messages: SinkMessages, destination: string): string | undefined {
  const bodies = [
    ...messages.emails.filter((m) => m.to.includes(destination)).map((m) => ({ at: m.receivedAt, text: m.text })),
    ...messages.sms.filter((m) => m.to === destination).map((m) => ({ at: m.receivedAt, text: m.body })),
    ...messages.calls.filter((m) => m.to === destination).map((m) => ({ at: m.receivedAt, text: m.twiml })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  const newest = bodies.at(-1)?.text;
  const found = newest?.match(/\b\d{6}\b|\b\d(?:, \d){5}\b/)?.[0];
  return found?.replace(/\D/g, '');
}

/** The browser-test server (playwright.config.ts): where it listens, its database and HMAC key. */
export const E2E = {
  baseUrl: `http://localhost:${E2E_PORTS.app}`,
  databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${E2E_PORTS.postgres}/regain`,
  // Fixed so a test can create fixtures (e.g. a trusted-device token) the server recognises.
  hmacKey: 'ZTJlLXRlc3RzLW9ubHktaG1hYy1rZXktMzItYnl0ZXM=',
  encryptionKey: 'ZTJlLXRlc3RzLW9ubHktYWVzLWtleS0wMDAzMi1ieXQ=',
  // HOST_WEBHOOK_SECRET of the server: verify what webhooksReceived() returns with verifyWebhookSignature.
  webhookSecret: 'e2e-tests-only-webhook-secret-0123456789',
} as const;
