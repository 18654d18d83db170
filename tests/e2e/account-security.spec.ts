import { expect, test, type Page } from '@playwright/test';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { verifyWebhookSignature } from '@/lib/webhooks/signing';
import { accountWithAuthenticator, addVirtualAuthenticator, pinServerClock, signIn } from './accounts';
import { E2E, expectNoSeriousA11yViolations, sinkMessages, webhooksReceived } from './support';

const passkeyList = (page: Page) => page.getByRole('region', { name: 'Passkeys' }).getByRole('listitem');

async function addPasskey(page: Page, where: 'This device' | 'Security key', name: string) {
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByRole('radio', { name: new RegExp(where) }).check();
  await page.getByLabel('Name (optional)').fill(name);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByText(`“${name}” is saved.`)).toBeVisible();
}

test.describe('passkeys on the security page', () => {
  test('register, sign out, sign in with the passkey; add a second, delete one; the last cannot be deleted', async ({ page }, testInfo) => {
    const account = await accountWithAuthenticator();
    const laptop = await addVirtualAuthenticator(page, 'platform');
    await signIn(page, account.email, account.password, account.code());
    await expect(page).toHaveURL(/\/account\/security$/);
    await expect(page.getByText('No passkeys yet.')).toBeVisible();

    await addPasskey(page, 'This device', 'Work laptop');
    await expect(passkeyList(page)).toHaveCount(1);
    await expect(passkeyList(page).first()).toContainText('Work laptop');
    // The only passkey cannot be deleted, and the page says why.
    await expect(page.getByRole('button', { name: 'Delete Work laptop' })).toBeDisabled();
    await expect(page.getByText(/Your only passkey can.t be deleted/)).toBeVisible();
    expect(await laptop.credentials()).toHaveLength(1);

    // Password + passkey as the second factor.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.getByLabel('Email address').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Use a passkey instead of a code' }).click();
    await page.getByRole('button', { name: 'Continue with a passkey' }).click();
    await expect(page).toHaveURL(/\/account\/security$/);
    await expect(page.getByRole('table').getByText('Password and passkey').first()).toBeVisible();

    // A passkey alone, no username.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(page).toHaveURL(/\/account\/security$/);
    await expect(passkeyList(page).first()).toContainText('Last used');
    await expect(page.getByRole('table').getByText('Passkey', { exact: true }).first()).toBeVisible();

    // A second passkey on a USB security key (the laptop's authenticator is put away).
    await laptop.remove();
    const key = await addVirtualAuthenticator(page, 'security-key');
    await addPasskey(page, 'Security key', 'Blue key');
    await expect(passkeyList(page)).toHaveCount(2);
    await expect(page.getByRole('button', { name: 'Delete Work laptop' })).toBeEnabled();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('security-with-passkeys', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    await page.getByRole('button', { name: 'Delete Work laptop' }).click();
    await page.getByRole('button', { name: 'Delete passkey' }).click();
    await expect(page.getByText('“Work laptop” was deleted.')).toBeVisible();
    await expect(passkeyList(page)).toHaveCount(1);
    await expect(page.getByRole('button', { name: 'Delete Blue key' })).toBeDisabled();

    // The remaining passkey still signs in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(page).toHaveURL(/\/account\/security$/);
    expect(await key.credentials()).toHaveLength(1);

    // Every change was announced to the verified contacts.
    await expect
      .poll(async () => (await sinkMessages()).emails.filter((m) => m.to.includes(account.email)).map((m) => m.subject))
      .toEqual(expect.arrayContaining([expect.stringMatching(/passkey/i)]));
  });

  test('a change after 5 minutes asks to confirm it is you first', async ({ page }) => {
    const account = await accountWithAuthenticator();
    await addVirtualAuthenticator(page, 'platform');
    await signIn(page, account.email, account.password, account.code());
    await expect(page).toHaveURL(/\/account\/security$/);

    const later = new Date(Date.now() + 6 * 60_000);
    await pinServerClock(page, later);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    const dialog = page.getByRole('dialog', { name: /Confirm it.s you/ });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('Authenticator code').fill('000000');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect(dialog.getByRole('alert')).toContainText("didn't match");
    await dialog.getByLabel('Authenticator code').fill(account.code(later));
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText('is saved.')).toBeVisible();
  });
});

test.describe('authenticator app and unrecognised activity', () => {
  test('replacing the authenticator by its setup key starts the hold, notifies, and tells the host', async ({ page }, testInfo) => {
    const account = await accountWithAuthenticator();
    await signIn(page, account.email, account.password, account.code());
    await expect(page).toHaveURL(/\/account\/security$/);

    await page.getByRole('button', { name: 'Replace authenticator' }).click();
    await expect(page.getByText('Replacing starts a 24-hour hold')).toBeVisible();
    await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('authenticator-setup', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    const setupKey = (await page.getByTestId('setup-key').textContent())!;
    const secret = base32Decode(setupKey);

    await page.getByLabel('Enter the code the app shows').fill('123456');
    await page.getByRole('button', { name: 'Confirm and link' }).click();
    await expect(page.getByText("That code didn't match.")).toBeVisible();
    await page.getByLabel('Enter the code the app shows').fill(totp(secret, { time: new Date() }));
    await page.getByRole('button', { name: 'Confirm and link' }).click();
    await expect(page.getByText('Your new authenticator app is linked')).toBeVisible();
    await page.reload();
    await expect(page.getByText(/Security hold: Withdrawals and P2P trading are paused until/)).toBeVisible();

    // The old app's codes no longer sign in; the new one's do.
    await page.getByRole('button', { name: 'Sign out' }).click();
    const later = new Date(Date.now() + 30_000);
    await pinServerClock(page, later);
    await signIn(page, account.email, account.password, account.code(later));
    await expect(page.getByRole('main').getByRole('alert')).toHaveText('The email, password or code is not right.');
    await signIn(page, account.email, account.password, totp(secret, { time: later }));
    await expect(page).toHaveURL(/\/account\/security$/);

    // Notices went to the verified email and phone.
    await expect.poll(async () => (await sinkMessages()).emails.some((m) => m.to.includes(account.email) && /authenticator/i.test(m.subject))).toBe(true);
    await expect.poll(async () => (await sinkMessages()).sms.some((m) => m.to === account.phone)).toBe(true);

    // The host platform received signed webhooks for the hold and the factor change.
    let mine: Awaited<ReturnType<typeof webhooksReceived>> = [];
    await expect
      .poll(
        async () => {
          mine = (await webhooksReceived()).filter((w) => JSON.parse(w.body).data.accountId === account.id);
          return mine.map((w) => w.event).sort();
        },
        { timeout: 60_000 }, // the server's job runner posts once the change commits; a busy machine adds to that
      )
      .toEqual(['factor.changed', 'hold.started']);
    for (const webhook of mine) {
      expect(verifyWebhookSignature({ secret: E2E.webhookSecret, timestamp: webhook.timestamp, body: webhook.body, signature: webhook.signature, now: new Date() })).toBe(true);
      expect(verifyWebhookSignature({ secret: 'not-the-secret-not-the-secret-0000', timestamp: webhook.timestamp, body: webhook.body, signature: webhook.signature, now: new Date() })).toBe(false);
    }
  });

  test('a device can be signed out, and "this wasn\'t me" signs out the rest and starts the hold', async ({ page, browser }) => {
    const account = await accountWithAuthenticator();
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    const devices = page.getByRole('region', { name: 'Devices' }).getByRole('listitem');
    await signIn(otherPage, account.email, account.password, account.code());
    await expect(otherPage).toHaveURL(/\/account\/security$/);
    const later = new Date(Date.now() + 30_000);
    await pinServerClock(page, later);
    await signIn(page, account.email, account.password, account.code(later));
    await expect(page).toHaveURL(/\/account\/security$/);
    await expect(devices).toHaveCount(2);

    await page.getByRole('region', { name: 'Devices' }).getByRole('button', { name: /^Sign out / }).click();
    await expect(page.getByText(/is signed out and can no longer approve requests/)).toBeVisible();
    await expect(devices).toHaveCount(1);
    await otherPage.goto('/account/security');
    await expect(otherPage).toHaveURL(/\/signin$/);

    const evenLater = new Date(Date.now() + 60_000);
    await pinServerClock(otherPage, evenLater);
    await signIn(otherPage, account.email, account.password, account.code(evenLater));
    await expect(otherPage).toHaveURL(/\/account\/security$/);
    await page.getByRole('button', { name: "This wasn't me" }).click();
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await expect(page.getByText(/1 other session was signed out/)).toBeVisible();
    await page.reload();
    await expect(page.getByText(/Security hold:/)).toBeVisible();
    await expect(devices).toHaveCount(1);

    await otherPage.goto('/account/security');
    await expect(otherPage).toHaveURL(/\/signin$/);
    await other.close();
  });
});
