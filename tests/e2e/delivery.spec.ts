import { expect, test } from '@playwright/test';
import twilio from 'twilio';
import { E2E } from './support';

const TWILIO_AUTH_TOKEN = 'test-auth-token'; // playwright.config.ts
const CALLBACK_PATH = '/api/webhooks/twilio/status';

test.describe('delivery in production', () => {
  test('Twilio status callbacks are refused without a valid signature', async ({ request }) => {
    const params = { MessageSid: 'SM00000000000000000000000000000000', MessageStatus: 'delivered' };
    const unsigned = await request.post(CALLBACK_PATH, { form: params });
    expect(unsigned.status()).toBe(403);
    const forged = await request.post(CALLBACK_PATH, { form: params, headers: { 'X-Twilio-Signature': 'bm90IGEgc2lnbmF0dXJl' } });
    expect(forged.status()).toBe(403);

    const signature = twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, `${E2E.baseUrl}${CALLBACK_PATH}`, params);
    const signed = await request.post(CALLBACK_PATH, { form: params, headers: { 'X-Twilio-Signature': signature } });
    expect(signed.status()).toBeLessThan(300);
  });

  test('the development outbox does not exist in production', async ({ page }) => {
    const response = await page.goto('/dev/outbox');
    expect(response?.status()).toBe(404);
  });
});
