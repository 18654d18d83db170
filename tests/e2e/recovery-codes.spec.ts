import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { createPrisma } from '@/lib/db/client';
import { replaceRecoveryCodes, spendRecoveryCode } from '@/lib/recovery-codes';
import { accountWithAuthenticator, pinServerClock, recoverUpToSecondProof, signIn, storedPasskey } from './accounts';
import { clearSinkMessages, E2E, expectNoSeriousA11yViolations, ownContexts } from './support';

// Recovery codes (docs/security.md rule 30): made on the security page, shown once, and spent one
// at a time as the second factor of a sign-in or as the second proof of a recovery.

// This file's own client address, so its sign-ins and code requests use no other file's per-IP budget.
const newPage = ownContexts('192.0.2.61');
const hmacKey = Buffer.from(E2E.hmacKey, 'base64');
const CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$/;
const REFUSED = 'The email, password or code is not right.';

/** A set of codes made straight in the database, as the security page would, for journeys that start with one. */
async function recoveryCodesFor(userId: string): Promise<string[]> {
  const db = createPrisma(E2E.databaseUrl);
  try {
    return (await replaceRecoveryCodes(db, { hmacKey, userId, now: new Date() })).codes;
  } finally {
    await db.$disconnect();
  }
}

/** Uses codes up without a browser, as if they had been used to sign in elsewhere. */
async function spendCodes(userId: string, codes: string[]) {
  const db = createPrisma(E2E.databaseUrl);
  try {
    for (const code of codes) expect((await spendRecoveryCode(db, { hmacKey, userId, code, now: new Date() })).ok).toBe(true);
  } finally {
    await db.$disconnect();
  }
}

async function signInWithRecoveryCode(page: Page, account: { email: string; password: string }, code: string) {
  await page.goto('/signin');
  await page.getByLabel('Email address').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** "N of 10 left", as the security page's recovery-code card says it. */
const codesLeft = (page: Page) => page.getByRole('region', { name: 'Recovery codes' }).getByTestId('recovery-codes-status');

test.describe('recovery codes', () => {
  test.beforeEach(async () => {
    await clearSinkMessages();
  });

  test('made on the security page after a step-up, one of them replaces a lost authenticator app with an email code', async ({ browser }, testInfo) => {
    // Two sign-ins, a recovery with an email code and three accessibility sweeps: a long journey.
    test.slow();
    const page = await newPage(browser);
    const account = await accountWithAuthenticator();
    // A passkey on a device that is not here: the reset offers it, and a recovery code as the other way.
    await storedPasskey(account.id, 'Old phone');

    // Signed in more than 5 minutes ago (the server's clock is pinned back for the sign-in), so
    // making codes, a factor change, asks to confirm first (docs/security.md rule 17).
    const signedInAt = new Date(Date.now() - 6 * 60_000);
    await pinServerClock(page, signedInAt);
    await signIn(page, account.email, account.password, account.code(signedInAt));
    await expect(page).toHaveURL(/\/account\/security$/);
    await page.context().clearCookies({ name: 'regain_test_now' });

    const panel = page.getByRole('region', { name: 'Recovery codes' });
    await expect(panel.getByText(/authenticator app or passkey isn.t at hand/)).toBeVisible();
    await panel.getByRole('button', { name: 'Create recovery codes' }).click();
    const dialog = page.getByRole('dialog', { name: /Confirm it.s you/ });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('Authenticator code').fill(account.code());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect(dialog).toBeHidden();

    // Shown once, ten of them, each on its own.
    const list = panel.getByRole('list', { name: 'Your recovery codes' });
    await expect(list.getByTestId('recovery-code')).toHaveCount(10);
    const codes = (await list.getByTestId('recovery-code').allTextContents()).map((code) => code.trim());
    for (const code of codes) expect(code).toMatch(CODE_FORMAT);
    expect(new Set(codes).size).toBe(10);
    await expect(panel.getByText(/You won.t see these codes again/)).toBeVisible();
    await expect(codesLeft(page)).toContainText('10 of 10 left');
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('recovery-codes-created', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    // The download holds every code, one a line.
    const downloading = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Download' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('regain-recovery-codes.txt');
    const file = await readFile(await download.path(), 'utf8');
    expect(file.split('\n').filter((line) => CODE_FORMAT.test(line))).toEqual(codes);
    await expect(panel.getByText('Downloaded regain-recovery-codes.txt', { exact: false })).toBeVisible();

    // Once saved, they are gone from the page, and focus returns to the card's button.
    await panel.getByRole('button', { name: "I've saved my codes" }).click();
    await expect(list).toBeHidden();
    await expect(panel.getByRole('button', { name: 'Create new codes' })).toBeFocused();
    await page.reload();
    await expect(codesLeft(page)).toContainText('10 of 10 left');
    await expect(panel.getByTestId('recovery-code')).toHaveCount(0);

    // The authenticator app is lost: "Can't sign in?", an email code, then one recovery code.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.getByRole('main').getByRole('link', { name: "Can't sign in?" }).click();
    await expect(page).toHaveURL(/\/recover$/);
    const recoveredAt = await recoverUpToSecondProof(page, account, /My authenticator app/, 'email');
    await expect(page.getByRole('heading', { name: /Confirm it.s you a second way/ })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Use a passkey I still have' })).toBeVisible();
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    const field = page.getByLabel('Recovery code');
    await expect(field).toBeFocused();
    await expectNoSeriousA11yViolations(page);
    // Lower case with spaces for the dashes: how it is typed does not matter.
    await field.fill(codes[0]!.toLowerCase().replaceAll('-', ' '));
    await page.getByRole('button', { name: 'Confirm recovery code' }).click();

    await expect(page.getByRole('heading', { name: 'Set up your new authenticator app' })).toBeVisible();
    await page.getByRole('button', { name: 'Set up my new authenticator app' }).click();
    const secret = base32Decode((await page.getByTestId('setup-key').textContent())!);
    await page.getByLabel('Enter the code the app shows').fill(totp(secret, { time: recoveredAt }));
    await page.getByRole('button', { name: 'Confirm and finish' }).click();
    await expect(page.getByRole('heading', { name: 'Your authenticator app is replaced' })).toBeVisible();
    await expect(page.getByText(/Withdrawals and P2P trading are on hold until/)).toBeVisible();

    // The new app signs in (a later step than the one that confirmed it); one code is spent.
    const later = new Date(recoveredAt.getTime() + 30_000);
    await pinServerClock(page, later);
    await signIn(page, account.email, account.password, totp(secret, { time: later }));
    await expect(page).toHaveURL(/\/account\/security$/);
    await expect(codesLeft(page)).toContainText('9 of 10 left');
    await expect(page.getByText(/Security hold:/)).toBeVisible();
  });

  test('a used code is refused; an unused one signs in with the password, and the page says when few are left', async ({ browser }) => {
    test.slow();
    const page = await newPage(browser);
    const account = await accountWithAuthenticator();
    const codes = await recoveryCodesFor(account.id);

    await signInWithRecoveryCode(page, account, codes[0]!);
    await expect(page).toHaveURL(/\/account\/security$/);
    await expect(codesLeft(page)).toContainText('9 of 10 left');
    await expect(page.getByRole('table').getByText('Password and recovery code').first()).toBeVisible();

    // The same code a second time: refused like any wrong code, and the typed email stays.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await signInWithRecoveryCode(page, account, codes[0]!);
    await expect(page.getByRole('main').getByRole('alert')).toHaveText(REFUSED);
    await expect(page.getByLabel('Email address')).toHaveValue(account.email);
    await expect(page.getByLabel('Recovery code')).toBeVisible();

    // Another code, typed in lower case, signs in and lowers the count.
    await page.getByLabel('Password').fill(account.password);
    await page.getByLabel('Recovery code').fill(codes[1]!.toLowerCase());
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page).toHaveURL(/\/account\/security$/);
    await expect(codesLeft(page)).toContainText('8 of 10 left');

    // Down to two: the card suggests a new set, and replacing it asks first.
    await spendCodes(account.id, codes.slice(2, 8));
    await page.reload();
    const panel = page.getByRole('region', { name: 'Recovery codes' });
    await expect(codesLeft(page)).toContainText('2 of 10 left');
    await expect(panel.getByRole('alert')).toContainText('Only 2 recovery codes left');
    await panel.getByRole('button', { name: 'Create new codes' }).click();
    await expect(panel.getByRole('group')).toContainText('Your current codes stop working');
    await expect(panel.getByRole('button', { name: 'Replace my codes' })).toBeFocused();
    await panel.getByRole('button', { name: 'Keep my current codes' }).click();
    await expect(panel.getByRole('button', { name: 'Create new codes' })).toBeFocused();
    await expect(codesLeft(page)).toContainText('2 of 10 left');

    // A recovery with an SMS code: the used code costs a try and proves nothing; an unused one works.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await recoverUpToSecondProof(page, account, /My authenticator app/);
    await expect(page.getByRole('heading', { name: /Confirm it.s you a second way/ })).toBeVisible();
    // The only way on offer, so the field is there without a click.
    const field = page.getByLabel('Recovery code');
    await field.fill('not a code');
    await page.getByRole('button', { name: 'Confirm recovery code' }).click();
    await expect(page.getByText(/Enter a recovery code/)).toBeVisible();
    await field.fill(codes[0]!);
    await page.getByRole('button', { name: 'Confirm recovery code' }).click();
    await expect(page.getByText("That didn't work. 4 tries left.")).toBeVisible();
    await expect(field).toBeFocused();
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await field.fill(codes[9]!);
    await page.getByRole('button', { name: 'Confirm recovery code' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your new authenticator app' })).toBeVisible();
  });
});
