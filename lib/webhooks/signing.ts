import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@/lib/crypto';

/** `v1=` signature of one attempt: HMAC-SHA-256 with the endpoint's secret over `timestamp + "." + body`. */
export function signWebhook(secret: string, timestamp: string, body: string) {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * For hosts (and our tests): accepts `v1=<hex>` (several, comma-separated, during a secret
 * rotation) over exactly `timestamp + "." + body`. The timestamp window stops a captured request
 * from being replayed later.
 */
export function verifyWebhookSignature({
  secret,
  timestamp,
  body,
  signature,
  now,
  toleranceSeconds = 300,
}: {
  secret: string;
  timestamp: string | null;
  body: string;
  signature: string | null;
  now: Date;
  toleranceSeconds?: number;
}): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body), 'hex');
  return signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1=') && /^[0-9a-f]{64}$/i.test(part.slice(3)))
    .some((part) => constantTimeEqual(Buffer.from(part.slice(3), 'hex'), expected));
}
