import { expect, test } from '@playwright/test';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { accountWithAuthenticator, accountWithoutSecondFactor, addVirtualAuthenticator, pinServerClock, recoverUpToSecondProof, signIn } from './accounts';
import { recoveryCodesFor } from './fixtures';
import { clearSinkMessages, expectNoSeriousA11yViolations, latestCodeSentTo, sinkMessages } from './support';

test.describe('guided recovery: resetting a lost factor with two proofs', () => {
  // Codes are read from the sinks: an older code to the same number must not be mistaken for the new one.
  test.beforeEach(async () => {
    await clearSinkMessages();
  });

  test('SMS code + a passkey they still have replaces a lost authenticator app', async ({ page }, testInfo) => {
    // The account holder once added a passkey on this browser, then lost the authenticator app.
    const account = await accountWithAuthenticator();
    await addVirtualAuthenticator(page, 'platform');
    await signIn(page, account.email, account.password, account.code());
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByText('is saved.')).toBeVisible();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.setViewportSize({ width: 390, height: 844 });

    await page.goto('/signin');
    await page.getByRole('main').getByRole('link', { name: "Can't sign in?" }).click();
    await page.getByLabel('Email address or phone number').fill(account.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('6-digit code').fill(await latestCodeSentTo(account.phone));
    await page.getByRole('button', { name: 'Verify' }).click();

    await expect(page.getByRole('heading', { name: "You're verified" })).toBeVisible();
    await page.getByRole('radio', { name: /My authenticator app/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();

    await expect(page.getByRole('heading', { name: /Confirm it.s you a second way/ })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('reset-second-proof-390', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    await page.getByRole('button', { name: 'Use a passkey I still have' }).click();

    await expect(page.getByRole('heading', { name: 'Set up your new authenticator app' })).toBeVisible();
    await page.getByRole('button', { name: 'Set up my new authenticator app' }).click();
    const secret = base32Decode((await page.getByTestId('setup-key').textContent())!);
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('reset-bind-390', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    await page.getByLabel('Enter the code the app shows').fill('111111');
    await page.getByRole('button', { name: 'Confirm and finish' }).click();
    await expect(page.getByText("That code didn't match", { exact: false })).toBeVisible();
    await page.getByLabel('Enter the code the app shows').fill(totp(secret, { time: new Date() }));
    await page.getByRole('button', { name: 'Confirm and finish' }).click();

    await expect(page.getByRole('heading', { name: 'Your authenticator app is replaced' })).toBeVisible();
    await expect(page.getByText(/Withdrawals and P2P trading are on hold until/)).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('reset-done-390', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    await expect.poll(async () => (await sinkMessages()).emails.some((m) => m.to.includes(account.email) && /recover/i.test(m.subject))).toBe(true);

    // Not signed in by the reset; the new app's codes sign in, the old one's do not.
    await page.goto('/account/security');
    await expect(page).toHaveURL(/\/signin$/);
    const later = new Date(Date.now() + 30_000);
    await pinServerClock(page, later);
    await signIn(page, account.email, account.password, account.code(later));
    await expect(page.getByRole('main').getByRole('alert')).toHaveText('The email, password or code is not right.');
    await signIn(page, account.email, account.password, totp(secret, { time: later }));
    await expect(page).toHaveURL(/\/account\/security$/);
  });

  test('SMS code + a recovery code kept on paper replaces a lost authenticator app', async ({ page }) => {
    const account = await accountWithAuthenticator();
    const [code] = await recoveryCodesFor(account.id);
    await recoverUpToSecondProof(page, account, /My authenticator app/);
    await expect(page.getByRole('heading', { name: /Confirm it.s you a second way/ })).toBeVisible();
    // The only second proof this account has, so its field is open straight away.
    const field = page.getByLabel('Recovery code');
    await field.fill('AAAA-AAAA-AA');
    await page.getByRole('button', { name: 'Confirm recovery code' }).click();
    await expect(page.getByText(/That didn't work\. 4 tries left\./)).toBeVisible();
    // Typed as people do: lower case, with spaces.
    await field.fill(code!.toLowerCase().replace(/-/g, ' '));
    await page.getByRole('button', { name: 'Confirm recovery code' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your new authenticator app' })).toBeVisible();
  });

  test('with only SMS and email, the way on is identity documents', async ({ page }) => {
    const account = await accountWithoutSecondFactor();
    await recoverUpToSecondProof(page, account, /My passkey/);
    await expect(page.getByRole('heading', { name: 'We need to check your identity' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Continue with an identity document' })).toBeVisible();
  });
});

test.describe('guided recovery: a lost passkey', () => {
  test('an email code + an authenticator code replace a lost passkey with a new one', async ({ page }) => {
    await clearSinkMessages();
    const account = await accountWithAuthenticator();
    // The old passkey is "lost": it was on another device; this browser makes the new one.
    await addVirtualAuthenticator(page, 'platform');
    // An SMS code with the authenticator is not enough for a passkey (often the same lost phone): ask for email.
    const later = await recoverUpToSecondProof(page, account, /My passkey/, 'email');

    await expect(page.getByRole('heading', { name: /Confirm it.s you a second way/ })).toBeVisible();
    await page.getByLabel('Code from your authenticator app').fill(account.code(later));
    await page.getByRole('button', { name: 'Confirm code' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your new passkey' })).toBeVisible();
    await page.getByRole('button', { name: 'Create my new passkey' }).click();
    await expect(page.getByRole('heading', { name: 'Your passkey is replaced' })).toBeVisible();

    // The new passkey signs in.
    await page.goto('/signin');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(page).toHaveURL(/\/account\/security$/);
  });

  test('an SMS code + approval on a signed-in laptop replace a lost passkey', async ({ page, browser }, testInfo) => {
    // Two browsers, two sign-ins and two accessibility sweeps: a long journey, waiting on conditions throughout.
    test.setTimeout(90_000);
    await clearSinkMessages();
    const account = await accountWithAuthenticator();
    // The laptop is signed in (a device cookie alone, left after signing out, approves nothing).
    const laptop = await browser.newContext();
    const approvals = await laptop.newPage();
    await signIn(approvals, account.email, account.password, account.code());
    await expect(approvals).toHaveURL(/\/account\/security$/);
    await addVirtualAuthenticator(page, 'platform');
    await recoverUpToSecondProof(page, account, /My passkey/);

    // An SMS code and the authenticator are never enough for a passkey; the signed-in laptop is.
    await expect(page.getByRole('heading', { name: /Confirm it.s you a second way/ })).toBeVisible();
    await expect(page.getByLabel('Code from your authenticator app')).toHaveCount(0);
    await page.getByRole('button', { name: 'Approve on a device where I’m signed in' }).click();
    await expect(page.getByText('Pick this number on your signed-in device')).toBeVisible();
    const number = (await page.getByTestId('approval-number').textContent())!.trim();
    expect(number).toMatch(/^\d{2}$/);
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('reset-waiting-for-device', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    // Number matching: the laptop names the change and offers three numbers; the right one approves.
    await approvals.goto('/account/approvals');
    await expect(approvals.getByText('Someone is asking to replace the passkeys on your account with a new one')).toBeVisible();
    await expect(approvals.getByRole('button', { name: /^Approve with number/ })).toHaveCount(3);
    await expectNoSeriousA11yViolations(approvals);
    await testInfo.attach('approvals-factor-reset', { body: await approvals.screenshot({ fullPage: true }), contentType: 'image/png' });
    await approvals.getByRole('button', { name: `Approve with number ${number}` }).click();
    await expect(approvals.getByText('The other device can continue now.')).toBeVisible();

    // The reset page notices by itself and moves on to the new passkey.
    await expect(page.getByRole('heading', { name: 'Set up your new passkey' })).toBeVisible();
    await page.getByRole('button', { name: 'Create my new passkey' }).click();
    await expect(page.getByRole('heading', { name: 'Your passkey is replaced' })).toBeVisible();

    // The recovery signed the laptop out and untrusted it: it can approve nothing now.
    await approvals.goto('/account/approvals');
    await expect(approvals.getByText('This device is not signed in')).toBeVisible();
    await laptop.close();
  });
});

test.describe('guided recovery: a lost phone number', () => {
  test('an email code + an authenticator code, then a code to the new number, replace it', async ({ page }, testInfo) => {
    await clearSinkMessages();
    const account = await accountWithAuthenticator();
    // The text goes to the lost phone: ask for an email code instead.
    const later = await recoverUpToSecondProof(page, account, /My phone number/, 'email');

    await expect(page.getByRole('heading', { name: /Confirm it.s you a second way/ })).toBeVisible();
    await page.getByLabel('Code from your authenticator app').fill(account.code(later));
    await page.getByRole('button', { name: 'Confirm code' }).click();

    await expect(page.getByRole('heading', { name: 'Set up your new phone number' })).toBeVisible();
    const number = page.getByLabel('Your new phone number');
    await number.fill('07700 900123');
    await page.getByRole('button', { name: 'Send a code' }).click();
    await expect(page.getByText(/Include your country code/)).toBeVisible();
    await expect(number).toHaveAttribute('aria-invalid', 'true');
    const fresh = `+1557${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    await number.fill(fresh);
    await page.getByRole('button', { name: 'Send a code' }).click();
    await expect(page.getByText(/We sent a 6-digit code to/)).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('reset-new-phone-code', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    await page.getByLabel('6-digit code').fill(await latestCodeSentTo(fresh));
    await page.getByRole('button', { name: 'Confirm and finish' }).click();

    await expect(page.getByRole('heading', { name: 'Your phone number is replaced' })).toBeVisible();
    await expect(page.getByText(/Withdrawals and P2P trading are on hold until/)).toBeVisible();
    // The old number is told, so its owner notices if this was not them.
    await expect.poll(async () => (await sinkMessages()).sms.some((m) => m.to === account.phone && /contact details changed/.test(m.body))).toBe(true);
  });
});


test.describe('self-service tiles start the real flow with the loss chosen', () => {
  test.beforeEach(async () => {
    await clearSinkMessages();
  });

  test('"Reset authenticator app" carries the choice through the code to "What did you lose?", where it can still be changed', async ({ page }, testInfo) => {
    const account = await accountWithAuthenticator();
    await page.goto('/tools');
    await page.getByRole('link', { name: /Reset authenticator app/ }).click();
    await expect(page).toHaveURL(/\/recover\?lost=authenticator$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Reset your authenticator app' })).toBeVisible();
    await page.getByLabel('Email address or phone number').fill(account.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/recover\/verify\?lost=authenticator$/);
    await page.getByLabel('6-digit code').fill(await latestCodeSentTo(account.phone));
    await page.getByRole('button', { name: 'Verify' }).click();

    await expect(page.getByRole('heading', { name: "You're verified" })).toBeVisible();
    await expect(page.getByRole('radio', { name: /My authenticator app/ })).toBeChecked();
    await expect(page.getByText('We chose the answer from where you started. You can change it.')).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('what-did-you-lose-preselected', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    // Still the person's choice.
    await page.getByRole('radio', { name: /My phone number/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/recover\/reset$/);
    await expect(page.getByText(/replace your phone number/).first()).toBeVisible();
  });

  test('"Reset a passkey" on an account without a passkey preselects nothing', async ({ page }) => {
    const account = await accountWithAuthenticator();
    await page.goto('/tools');
    await page.getByRole('link', { name: /Reset a passkey/ }).click();
    await expect(page).toHaveURL(/\/recover\?lost=passkey$/);
    await page.getByLabel('Email address or phone number').fill(account.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('6-digit code').fill(await latestCodeSentTo(account.phone));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('heading', { name: "You're verified" })).toBeVisible();
    await expect(page.getByRole('radio')).toHaveCount(4);
    await expect(page.getByRole('radio', { checked: true })).toHaveCount(0);
    await expect(page.getByText('We chose the answer from where you started.')).toHaveCount(0);
  });
});
