import { expect, test } from '@playwright/test';
import { totp } from '@/lib/authenticator/totp';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '@/prisma/seed';
import { accountWithAuthenticator, signIn } from './accounts';
import { E2E, expectNoSeriousA11yViolations } from './support';

test.describe('account security center', () => {
  test('signing in needs the password and an authenticator code, and shows the security overview', async ({ page }, testInfo) => {
    await signIn(page, 'ada@example.com', DEMO_PASSWORD, '000000');
    await expect(page.getByRole('main').getByRole('alert')).toHaveText('The email, password or code is not right.');
    await expectNoSeriousA11yViolations(page);

    await signIn(page, 'ada@example.com', DEMO_PASSWORD, totp(DEMO_TOTP_SECRET, { time: new Date() }));
    await expect(page).toHaveURL(/\/account\/security$/);
    await expect(page.getByText('Signed in as Ada Lovelace')).toBeVisible();
    await expect(page.getByText('This device')).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('security', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.goto('/account/security');
    await expect(page).toHaveURL(/\/signin$/);
  });

  test('a device that signed in approves a recovery started elsewhere', async ({ page, browser }) => {
    const account = await accountWithAuthenticator();
    const device = await browser.newContext();
    const devicePage = await device.newPage();
    await signIn(devicePage, account.email, account.password, account.code());
    await expect(devicePage).toHaveURL(/\/account\/security$/);

    await page.clock.install();
    await page.goto('/recover');
    await page.getByLabel('Email address or phone number').fill(account.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.context().addCookies([{ name: 'regain_test_now', value: new Date(Date.now() + 31_000).toISOString(), url: E2E.baseUrl }]);
    await page.clock.fastForward(31_000);
    await page.getByRole('button', { name: /Approve on a trusted device/ }).click();
    await expect(page.getByText('Waiting for approval on your signed-in device')).toBeVisible();

    await devicePage.goto('/account/approvals');
    await devicePage.getByRole('button', { name: /approve/i }).click();
    await expect(devicePage.getByText('The other device can continue now.')).toBeVisible();
    await device.close();

    await page.clock.runFor(3000);
    await expect(page).toHaveURL(/\/recover\/verified$/);
  });
});
