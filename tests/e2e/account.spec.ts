import { expect, test } from '@playwright/test';
import { totp } from '@/lib/authenticator/totp';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '@/prisma/seed';
import { DEVICE_COOKIE } from '@/lib/sessions/devices';
import { accountWithAuthenticator, signIn } from './accounts';
import { pendingApproval } from './fixtures';
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

  test('a browser that signed out keeps its device cookie but can no longer see or approve requests', async ({ page }) => {
    const account = await accountWithAuthenticator();
    await signIn(page, account.email, account.password, account.code());
    await expect(page).toHaveURL(/\/account\/security$/);
    const request = await pendingApproval(account.id);
    await page.goto('/account/approvals');
    await expect(page.getByRole('button', { name: `Approve with number ${request.approvalNumber}` })).toBeVisible();

    await page.goto('/account/security');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    expect((await page.context().cookies()).some((c) => c.name === DEVICE_COOKIE)).toBe(true);
    await page.goto('/account/approvals');
    await expect(page.getByText('This device is not signed in')).toBeVisible();
    await expect(page.getByRole('button', { name: /^Approve with number/ })).toHaveCount(0);
  });

  test('“Didn’t get the code?” offers another text, a call or email, never a device approval in place of a code', async ({ page }) => {
    const account = await accountWithAuthenticator();
    await page.clock.install();
    await page.goto('/recover');
    await page.getByLabel('Email address or phone number').fill(account.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/recover\/verify$/);
    await page.context().addCookies([{ name: 'regain_test_now', value: new Date(Date.now() + 31_000).toISOString(), url: E2E.baseUrl }]);
    await page.clock.fastForward(31_000);
    await expect(page.getByRole('button', { name: /Email me a code/ })).toBeEnabled();
    await expect(page.getByRole('button', { name: /device/i })).toHaveCount(0);
  });
});
