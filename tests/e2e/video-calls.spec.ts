import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { createPrisma } from '@/lib/db/client';
import { accountWithAuthenticator } from './accounts';
import { videoAppointment } from './fixtures';
import { E2E, expectNoSeriousA11yViolations, latestCodeSentTo, sinkMessages } from './support';

// Video calls people can keep: their own clock on the page, "Can't make it?" on the status page,
// and a calendar cancellation by email.

async function snapshot(page: Page, testInfo: TestInfo, name: string) {
  await expectNoSeriousA11yViolations(page);
  await testInfo.attach(name, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
}

/** 13:00–13:30 UTC three days from now: 18:30–19:00 in Kolkata, which has no daylight saving. */
function threeDaysOn() {
  const now = new Date();
  const startsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 3, 13, 0));
  return { startsAt, endsAt: new Date(startsAt.getTime() + 30 * 60_000) };
}

test.describe('video calls people can keep', () => {
  test('the status page shows the call in the person’s own time, and “Can’t make it?” asks for another time with a calendar cancellation', async ({ browser }, testInfo) => {
    const context = await browser.newContext({ timezoneId: 'Asia/Kolkata', viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    try {
      const account = await accountWithAuthenticator();
      const window = threeDaysOn();
      const { reference } = await videoAppointment(account, window);

      await page.goto('/recover/status');
      await page.getByLabel('Reference number').fill(reference);
      await page.getByLabel('Email address').fill(account.email);
      await page.getByRole('button', { name: 'Send me a code' }).click();
      await page.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(account.email));
      await page.getByRole('button', { name: 'Open my request' }).click();
      await expect(page.getByRole('heading', { name: reference })).toBeVisible();

      // The person's clock first, then UTC as Support quotes it.
      const booked = page.getByText('Video call booked').locator('..');
      await expect(booked).toContainText('18:30 to 19:00 your time (13:00 to 13:30 UTC');
      await page.getByText('Can’t make it?').click();
      await expect(page.getByRole('radio', { name: /Ask for another time/ })).toBeChecked();
      await snapshot(page, testInfo, 'status-call-change-390');

      await page.getByLabel('Times that suit you (optional)').fill('Weekday evenings after 19:00 my time');
      await page.getByRole('button', { name: 'Ask for another time' }).click();
      await expect(page.getByText('Call cancelled: we’ll book another time')).toBeVisible();
      // The page refreshes: no call any more, and the request's conversation carries the times.
      await expect(page.getByText('Video call booked')).toHaveCount(0);
      await expect(page.getByRole('list', { name: 'Messages, oldest first' })).toContainText('Times that suit me: Weekday evenings after 19:00 my time');
      await snapshot(page, testInfo, 'status-call-cancelled-390');

      // The worker emails the cancellation with a calendar CANCEL for the same event.
      await expect
        .poll(async () => (await sinkMessages()).emails.find((m) => m.to.includes(account.email) && m.subject === 'Your Regain video call is cancelled')?.calendar ?? '', {
          message: 'a cancellation email with its calendar event',
          timeout: 30_000,
        })
        .toContain('METHOD:CANCEL');

      const db = createPrisma(E2E.databaseUrl);
      try {
        const row = await db.videoAppointment.findFirstOrThrow({ where: { ticket: { reference } }, select: { cancelledAt: true, cancelReason: true } });
        expect(row.cancelReason).toBe('another_time');
        expect(row.cancelledAt).not.toBeNull();
      } finally {
        await db.$disconnect();
      }
    } finally {
      await context.close();
    }
  });
});
