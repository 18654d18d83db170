import { randomBytes } from 'node:crypto';
import type { CDPSession, Page } from '@playwright/test';
import { totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import { createPrisma } from '@/lib/db/client';
import { hashPassword } from '@/lib/sessions/password';
import { E2E } from './support';

/** A fresh account with a password, verified email and phone, and an authenticator whose secret the test knows. */
export async function accountWithAuthenticator() {
  const db = createPrisma(E2E.databaseUrl);
  const secret = randomBytes(20);
  const tag = randomBytes(4).toString('hex');
  const email = `holder-${tag}@example.com`;
  const phone = `+1555${String(parseInt(tag, 16) % 10_000_000).padStart(7, '0')}`;
  const user = await db.user.create({
    data: {
      email,
      phone,
      displayName: 'Test Holder',
      emailVerifiedAt: new Date(),
      phoneVerifiedAt: new Date(),
      passwordHash: await hashPassword('a long test password'),
    },
  });
  await db.authenticator.create({
    data: { userId: user.id, encryptedSecret: seal(Buffer.from(E2E.encryptionKey, 'base64'), secret, `totp:user:${user.id}`), confirmedAt: new Date() },
  });
  await db.$disconnect();
  return { id: user.id, email, phone, password: 'a long test password', code: (at = new Date()) => totp(secret, { time: at }) };
}

/**
 * A fresh account with only a verified email and phone (like the demo's Ben, but its own: the demo
 * number's hourly SMS budget is shared by every journey that uses it).
 */
export async function accountWithoutSecondFactor() {
  const db = createPrisma(E2E.databaseUrl);
  const tag = randomBytes(4).toString('hex');
  const email = `plain-${tag}@example.com`;
  const phone = `+1556${String(parseInt(tag, 16) % 10_000_000).padStart(7, '0')}`;
  await db.user.create({ data: { email, phone, displayName: 'Plain Holder', emailVerifiedAt: new Date(), phoneVerifiedAt: new Date() } });
  await db.$disconnect();
  return { email, phone };
}

export async function signIn(page: Page, email: string, password: string, code: string) {
  await page.goto('/signin');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Authenticator code').fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * A Chromium virtual authenticator (DevTools WebAuthn domain): a platform authenticator with user
 * verification, or a USB security key. It answers the browser's passkey prompts without a person.
 */
export async function addVirtualAuthenticator(page: Page, kind: 'platform' | 'security-key' = 'platform') {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: kind === 'platform' ? 'internal' : 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    remove: () => cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId }),
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  };
}

/** Pins the server's clock for this browser (ENABLE_TEST_CLOCK): a later sign-in needs a later authenticator step. */
export async function pinServerClock(page: Page, at: Date) {
  await page.context().addCookies([{ name: 'regain_test_now', value: at.toISOString(), url: E2E.baseUrl }]);
}
