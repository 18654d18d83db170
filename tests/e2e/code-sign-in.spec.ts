import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { createPrisma } from '@/lib/db/client';
import { hashPassword } from '@/lib/sessions/password';
import { addVirtualAuthenticator } from './accounts';
import { E2E, expectNoSeriousA11yViolations, latestCodeSentTo } from './support';

/** A holder like Ben: a password and a verified email and phone, no authenticator app, no passkey. */
async function holderWithoutApp() {
  const db = createPrisma(E2E.databaseUrl);
  const tag = randomBytes(4).toString('hex');
  const email = `no-app-${tag}@example.com`;
  const password = 'a long test password';
  try {
    await db.user.create({
      data: {
        email,
        phone: `+1557${String(parseInt(tag, 16) % 10_000_000).padStart(7, '0')}`,
        displayName: 'No App Holder',
        emailVerifiedAt: new Date(),
        phoneVerifiedAt: new Date(),
        passwordHash: await hashPassword(password),
      },
    });
  } finally {
    await db.$disconnect();
  }
  return { email, password };
}

test.describe('signing in without an authenticator app', () => {
  test('a holder with only a password and an email signs in with an emailed code, is nudged to add a passkey, and adds one', async ({ page }, testInfo) => {
    await page.setExtraHTTPHeaders({ 'X-Forwarded-For': `192.0.2.${10 + Math.floor(Math.random() * 100)}` });
    const holder = await holderWithoutApp();
    await addVirtualAuthenticator(page, 'platform');

    await page.goto('/signin');
    await page.getByRole('link', { name: /Sign in with an emailed code/ }).click();
    await expect(page).toHaveURL(/\/signin\/code$/);
    await page.getByLabel('Email address').fill(holder.email);
    await page.getByLabel('Password').fill(holder.password);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('code-sign-in-step-2', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    // A wrong code first: refused with the tries left, the page stays.
    const code = await latestCodeSentTo(holder.email);
    await page.getByLabel('Code from the email').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('That code is not right. 4 tries left.')).toBeVisible();

    await page.getByLabel('Code from the email').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/account\/security/);
    const nudge = page.getByRole('status').filter({ hasText: 'Add a passkey' });
    await expect(nudge).toBeVisible();
    await expect(page.getByRole('table').getByText('Password and emailed code').first()).toBeVisible();
    await testInfo.attach('nudge', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    await page.getByRole('button', { name: 'Add a passkey' }).first().click();
    await page.getByRole('radio', { name: /This device/ }).check();
    await page.getByLabel('Name (optional)').fill('My phone');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByText('“My phone” is saved.')).toBeVisible();

    // With a passkey the account no longer gets codes by email: it signs in with the passkey.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(page).toHaveURL(/\/account\/security/);
    await expect(page.getByRole('status').filter({ hasText: 'Add a passkey' })).toHaveCount(0);
  });
});
