import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { createPrisma } from '@/lib/db/client';
import { E2E, clearSinkMessages, expectNoSeriousA11yViolations, latestCodeSentTo, sinkMessages } from './support';

const BEN = { email: 'ben@example.com', phone: '+15555550123', maskedPhone: '+1 ••• ••• 01 23' };

/** Moves "now" forward for the server (test clock cookie) and the browser (Playwright's clock) together. */
async function advance(page: Page, context: BrowserContext, seconds: number, state: { offset: number }) {
  state.offset += seconds;
  await context.addCookies([{ name: 'regain_test_now', value: new Date(Date.now() + state.offset * 1000).toISOString(), url: E2E.baseUrl }]);
  await page.clock.fastForward(seconds * 1000);
}

async function startRecovery(page: Page, identifier: string) {
  await page.goto('/recover');
  await page.getByLabel('Email address or phone number').fill(identifier);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/recover\/verify$/);
}

test.describe('guided recovery: the code ladder', () => {
  test.beforeEach(async () => {
    await clearSinkMessages();
  });

  test('SMS not received → call me instead → email → code accepted', async ({ page, context }, testInfo) => {
    const clock = { offset: 0 };
    await page.clock.install();
    await page.setViewportSize({ width: 390, height: 844 });
    await startRecovery(page, BEN.email);

    await expect(page.getByText(`We sent a 6-digit code by text message to ${BEN.maskedPhone}.`)).toBeVisible();
    const code = page.getByLabel('6-digit code');
    await expect(code).toHaveAttribute('autocomplete', 'one-time-code');
    await expect(code).toHaveAttribute('inputmode', 'numeric');
    await expect(page.getByText(/Code expires in \d+:\d\d/)).toBeVisible();
    const callMe = page.getByRole('button', { name: /Call me instead/ });
    await expect(callMe).toBeDisabled();
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('code-entry-390', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    const smsCode = await latestCodeSentTo(BEN.phone);

    await advance(page, context, 31, clock);
    await expect(callMe).toBeEnabled();
    await callMe.click();
    await expect(page.getByText(`We sent a 6-digit code by phone call to ${BEN.maskedPhone}.`)).toBeVisible();
    await expect.poll(async () => (await sinkMessages()).calls.length).toBe(1);
    const { calls } = await sinkMessages();
    expect(calls[0]!.to).toBe(BEN.phone);
    const voiceCode = await latestCodeSentTo(BEN.phone);
    // The call reads the code digit by digit, twice.
    expect(calls[0]!.twiml.match(new RegExp(voiceCode.split('').join('\\D+'), 'g'))).toHaveLength(2);

    // A replaced code no longer works, and the failed attempt counts.
    if (smsCode !== voiceCode) {
      await code.fill(smsCode);
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect(page.getByText('That code is not right. 4 attempts left.')).toBeVisible();
    }

    await advance(page, context, 61, clock);
    await page.getByRole('button', { name: /Email me a code/ }).click();
    await expect(page.getByText('We sent a 6-digit code by email to b•••@example.com.')).toBeVisible();
    const emailCode = await latestCodeSentTo(BEN.email);
    const email = (await sinkMessages()).emails.at(-1)!;
    expect(email.subject).toMatch(/code/i);

    // People paste codes with spaces; that works.
    await code.fill(`${emailCode.slice(0, 3)} ${emailCode.slice(3)}`);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page).toHaveURL(/\/recover\/verified$/);
    await expect(page.getByRole('heading', { name: "You're verified" })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });

  test('five wrong codes close the request: one message and "Start again", never a count beside it', async ({ page }) => {
    const email = 'closed-request@example.com';
    const db = createPrisma(E2E.databaseUrl);
    await db.user.upsert({ where: { email }, update: {}, create: { email, displayName: 'Closed Request', emailVerifiedAt: new Date() } });
    await db.$disconnect();
    await startRecovery(page, email);
    const code = page.getByLabel('6-digit code');
    const right = await latestCodeSentTo(email);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let left = 4; left >= 1; left--) {
      await code.fill(wrong);
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect(page.getByText(`That code is not right. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`)).toBeVisible();
    }
    await code.fill(wrong);
    await page.getByRole('button', { name: 'Verify' }).click();
    const startAgain = page.getByRole('link', { name: 'Start again' });
    await expect(startAgain).toBeVisible();
    await expect(page.getByText(/attempts? left/)).toHaveCount(0);
    await expect(page.getByLabel('6-digit code')).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
    await startAgain.click();
    await expect(page).toHaveURL(/\/recover$/);
  });

  test('a provider failure is shown with another way to get the code', async ({ page }) => {
    const db = createPrisma(E2E.databaseUrl);
    // The local Twilio-compatible server answers this number with error 21211 (invalid number).
    await db.user.upsert({
      where: { email: 'invalid-number@example.com' },
      update: {},
      create: { email: 'invalid-number@example.com', displayName: 'Invalid Number', phone: '+15005550001', phoneVerifiedAt: new Date(), emailVerifiedAt: new Date() },
    });
    await db.$disconnect();
    await startRecovery(page, 'invalid-number@example.com');
    await expect(page.getByRole('alert').filter({ hasText: "We couldn't send a code by text message. Try a phone call or email instead." })).toBeVisible();
    await expect(page.getByLabel('6-digit code')).toBeVisible(); // the challenge is still there
  });

  test('a device that is not signed in cannot see or approve anything', async ({ page }) => {
    await page.goto('/account/approvals');
    await expect(page.getByText('This device is not signed in')).toBeVisible();
  });

  test('known and unknown accounts get the same next step', async ({ browser }) => {
    const texts: string[][] = [];
    for (const identifier of [BEN.email, 'nobody-at-all@example.com']) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await startRecovery(page, identifier);
      await expect(page.getByRole('heading', { name: 'Enter your code' })).toBeVisible();
      // Everything on the page but where the code went (decoys pick SMS or email as real accounts
      // do: accounts without a verified phone get email) and the clock.
      const text = (await page.locator('main').innerText())
        .replace(/by (text message|email) to (\+\d+ ••• ••• \d\d \d\d|\w•••@[\w-]+(?:\.[\w-]+)+)/g, '<destination>')
        .replace(/\d+:\d\d/g, '<time>')
        .replace(/\(at [^)]*\)/g, '');
      texts.push(text.split('\n').filter(Boolean));
      await context.close();
    }
    expect(texts[1]).toEqual(texts[0]);
  });

  test('bad input gets a clear message, not an error page', async ({ page }) => {
    await page.goto('/recover');
    await page.getByLabel('Email address or phone number').fill('07700 900123');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByText('Include your country code, starting with +, for example +44 7700 900123.')).toBeVisible();
    await expect(page.getByLabel('Email address or phone number')).toHaveAttribute('aria-invalid', 'true');
    await expectNoSeriousA11yViolations(page);
  });
});
