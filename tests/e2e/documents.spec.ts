import { randomBytes } from 'node:crypto';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { createPrisma } from '@/lib/db/client';
import { documentFront, groupPhoto, selfie as selfieOf } from '../support/faces';
import { photo } from '../support/images';
import { accountWithAuthenticator, consoleAgent, consoleSignIn } from './accounts';
import { approvedTicketLink, recoveryTicket, videoAppointment } from './fixtures';
import { clearSinkMessages, E2E, expectNoSeriousA11yViolations, latestCodeSentTo, sinkMessages } from './support';

const BEN = { email: 'ben@example.com', phone: '+15555550123' };

async function snapshot(page: Page, testInfo: TestInfo, name: string) {
  await expectNoSeriousA11yViolations(page);
  await testInfo.attach(`${name}-390`, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
}

const image = async (width: number, height: number) => ({
  name: `photo-${width}x${height}.jpg`,
  mimeType: 'image/jpeg',
  buffer: await photo(width, height).jpeg({ quality: 90 }).toBuffer(),
});

/** Real faces (tests/support/faces.ts): the local face match needs a face on the front and in the selfie. */
const faceFile = (name: string, buffer: Buffer) => ({ name, mimeType: 'image/jpeg', buffer });

async function confirmContact(page: Page, email: string) {
  await expect(page.getByRole('heading', { name: 'Confirm your email address' })).toBeVisible();
  await page.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(email));
  await page.getByRole('button', { name: 'Confirm and continue' }).click();
}

test.describe('identity-document recovery', () => {
  // Codes are read from the sinks: an older code to Ben's number must not be mistaken for the new one.
  test.beforeEach(async () => {
    await clearSinkMessages();
  });

  // One journey in three parts, each standing on what the part before it proves: Ben is guided to
  // documents, documents are uploaded and submitted, a submitted ticket is followed on the status page.
  test('Ben has only SMS and email: a verified SMS code leads him to identity documents, with his contact shown masked', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 390, height: 844 });

    // Ben has only SMS and email: a verified SMS code is not enough to replace his passkey.
    await page.goto('/recover');
    await page.getByLabel('Email address or phone number').fill(BEN.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('6-digit code').fill(await latestCodeSentTo(BEN.phone));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('radio', { name: /My passkey/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'We need to check your identity' })).toBeVisible();
    await page.getByRole('link', { name: 'Continue with an identity document' }).click();

    // Guidance first; the verified account's own address is the contact, shown masked only.
    await expect(page.getByRole('heading', { name: 'Recover your account with an identity document' })).toBeVisible();
    await expect(page.getByText('All four corners of the document in the picture', { exact: false })).toBeVisible();
    await expect(page.getByText('We’ll write to b•••@example.com')).toBeVisible();
    await expect(page.getByText(BEN.email)).toHaveCount(0);
    await expect(page.getByRole('radio', { name: /My passkey/ })).toBeChecked();
    await snapshot(page, testInfo, 'documents-guidance');
    await page.getByRole('button', { name: 'Continue' }).click();
    // The contact address is confirmed with a code before the request reaches the queue.
    await confirmContact(page, BEN.email);
    await expect(page.getByRole('heading', { name: 'Add your photos' })).toBeVisible();
  });

  test('a refused photo is retried on its own; front, back and selfie are saved and submitted for a reference sent by email; the agent sees the face match', async ({
    page,
    browser,
  }, testInfo) => {
    test.slow();
    await page.setViewportSize({ width: 390, height: 844 });
    const contact = `documents-${randomBytes(4).toString('hex')}@example.com`;
    await page.goto('/recover/documents');
    await page.getByRole('radio', { name: /My passkey/ }).check();
    await page.getByLabel('Your email address').fill(contact);
    await page.getByRole('button', { name: 'Continue' }).click();
    // Nothing but this code goes to a typed address until it comes back.
    await confirmContact(page, contact);

    await expect(page.getByRole('heading', { name: 'Add your photos' })).toBeVisible();
    const front = page.getByRole('region', { name: '1. Front of your document' });
    const back = page.getByRole('region', { name: '2. Back of your document' });
    const selfie = page.getByRole('region', { name: '3. A selfie' });
    await expect(selfie.getByText('Face check: 5 of 5 tries left.')).toBeVisible();
    await expect(page.getByLabel('Take a photo of the front of your document')).toHaveAttribute('capture', 'environment');
    await expect(page.getByLabel('Take a selfie', { exact: true })).toHaveAttribute('capture', 'user');

    // Too small to read: refused with the reason, shown with its preview.
    await page.getByLabel('Choose a file for the front of your document').setInputFiles(await image(400, 300));
    await expect(front.getByRole('alert')).toContainText('This photo is too small to read.');
    await expect(front.getByText('Needs a new photo')).toBeVisible();
    await expect(front.getByRole('img', { name: 'Preview of the front of your document' })).toBeVisible();
    await snapshot(page, testInfo, 'documents-refused');

    // A card on which no face photo can be found is refused at once, before the selfie.
    await page.getByLabel('Choose a file for the front of your document').setInputFiles(faceFile('front.jpg', await documentFront(null)));
    await expect(front.getByRole('alert')).toContainText('We couldn’t find the photo of your face on the front of your document.');

    // The retry replaces that one photo; then the back and the selfie.
    await page.getByLabel('Choose a file for the front of your document').setInputFiles(faceFile('front.jpg', await documentFront('s6c')));
    await expect(front.getByText('Saved. This photo passed our checks.')).toBeVisible();
    await page.getByLabel('Take a photo of the back of your document').setInputFiles(await image(1200, 800));
    await expect(back.getByText('Saved. This photo passed our checks.')).toBeVisible();
    // Several people in the selfie: refused at once, and it uses a try.
    await page.getByLabel('Take a selfie', { exact: true }).setInputFiles(faceFile('group.jpg', await groupPhoto(6)));
    await expect(selfie.getByRole('alert')).toContainText('We can see more than one face in this selfie.');
    await expect(selfie.getByText('Face check: 4 of 5 tries left.')).toBeVisible();
    await page.getByLabel('Take a selfie', { exact: true }).setInputFiles(faceFile('selfie.jpg', await selfieOf('s6c')));
    await expect(selfie.getByText('Saved. This photo passed our checks.')).toBeVisible();
    await expect(front.getByText('Saved', { exact: true })).toBeVisible();
    await snapshot(page, testInfo, 'documents-all-saved');

    await page.getByRole('button', { name: 'Submit for review' }).click();
    await expect(page.getByRole('heading', { name: 'Your request is with our security team' })).toBeVisible();
    const reference = (await page.getByTestId('ticket-reference').textContent())!.trim();
    expect(reference).toMatch(/^RG-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await expect(page.getByText('We sent a confirmation with this reference to your email address.', { exact: false })).toBeVisible();
    await snapshot(page, testInfo, 'documents-submitted');

    await expect
      .poll(async () => (await sinkMessages()).emails.some((m) => m.to.includes(contact) && /recovery request/i.test(m.subject) && m.text.includes(reference)))
      .toBe(true);

    // ── The agent: the face match is on the ticket page, as an aid ──
    const db = createPrisma(E2E.databaseUrl);
    const ticket = await db.recoveryTicket.findUniqueOrThrow({ where: { reference }, select: { id: true } }).finally(() => db.$disconnect());
    const agent = await consoleAgent('AGENT', 'Farah Nilsson');
    const agentContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const agentPage = await agentContext.newPage();
    await consoleSignIn(agentPage, agent);
    // Agents open the requests they work on: claimed from the queue, newest first.
    await agentPage.goto('/console?sort=newest');
    await agentPage.getByRole('button', { name: `Claim ${reference}` }).click();
    await expect(agentPage).toHaveURL(new RegExp(`/console/tickets/${ticket.id}$`));
    const panel = agentPage.getByRole('region', { name: 'Face match' });
    await expect(panel.getByTestId('face-match-outcome')).toHaveText('Similar');
    await expect(panel.getByTestId('face-match-distance')).toHaveText(/^0\.\d\d against a threshold of 0\.50$/);
    await expect(panel).toContainText('An aid, not a decision.');
    const show = panel.getByRole('button', { name: 'Show the two faces side by side' });
    await expect(show).toHaveAttribute('aria-expanded', 'false');
    // Keyboard only: focus the button and press Enter.
    await show.focus();
    await agentPage.keyboard.press('Enter');
    await expect(panel.getByRole('button', { name: 'Hide the faces' })).toHaveAttribute('aria-expanded', 'true');
    for (const name of [/The face in the selfie/, /The face photo on the front of the document/]) {
      const face = panel.getByRole('img', { name });
      await expect.poll(() => face.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
    }
    await expect(panel.getByRole('status')).toHaveCount(0);
    await expectNoSeriousA11yViolations(agentPage);
    await testInfo.attach('console-face-match-1280', { body: await panel.screenshot(), contentType: 'image/png' });
    await agentPage.setViewportSize({ width: 390, height: 844 });
    await testInfo.attach('console-face-match-390', { body: await panel.screenshot(), contentType: 'image/png' });
    // The crops are documents too: never cached, sandboxed, and only for agents.
    const selfieId = (await panel.getByRole('img', { name: /The face in the selfie/ }).getAttribute('src'))!.split('/faces/')[1]!.split('?')[0]!;
    const crop = await agentPage.request.get(`/console/tickets/${ticket.id}/faces/${selfieId}`);
    expect(crop.status()).toBe(200);
    expect(crop.headers()).toMatchObject({ 'cache-control': 'no-store', 'content-type': 'image/jpeg', 'x-content-type-options': 'nosniff' });
    expect(crop.headers()['content-security-policy']).toContain('sandbox');
    expect((await page.request.get(`/console/tickets/${ticket.id}/faces/${selfieId}`)).status()).toBe(401);
    await agentContext.close();
  });

  test('the status page: reference and an emailed code open the request; Support’s question is answered with text and an extra image', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 390, height: 844 });
    // A submitted request with its front photo, as the test before this one leaves it.
    const { id: ticketId, reference, contactEmail } = await recoveryTicket({ type: 'PASSKEY_RESET', document: true });

    // The status page: reference + email, then the emailed code.
    await page.goto('/recover/status');
    await snapshot(page, testInfo, 'status-start');
    await page.getByLabel('Reference number').fill(reference.toLowerCase());
    await page.getByLabel('Email address').fill(contactEmail);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
    await snapshot(page, testInfo, 'status-code');
    await page.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(contactEmail));
    await page.getByRole('button', { name: 'Open my request' }).click();

    await expect(page.getByRole('heading', { name: reference })).toBeVisible();
    const progress = page.getByRole('list', { name: 'Progress of your request' });
    await expect(progress.locator('[aria-current="step"]')).toContainText('Submitted');
    await expect(page.getByText('Received', { exact: true })).toBeVisible();
    await expect(page.getByText('Front of your document')).toBeVisible();
    await snapshot(page, testInfo, 'status-submitted');

    // An agent asks for more (fixture: the console is not part of this journey).
    const db = createPrisma(E2E.databaseUrl);
    try {
      await db.ticketMessage.create({
        data: { ticketId, kind: 'INFO_REQUEST', body: 'Thanks, Ben. Please tell us roughly when you last signed in successfully, and from which city.' },
      });
      await db.recoveryTicket.update({ where: { id: ticketId }, data: { status: 'MORE_INFO_REQUESTED' } });
    } finally {
      await db.$disconnect();
    }
    await page.reload();
    await expect(page.getByText('Waiting for you', { exact: true })).toBeVisible();
    await expect(page.getByText('when you last signed in successfully', { exact: false })).toBeVisible();
    await snapshot(page, testInfo, 'status-question');

    await page.getByLabel('Your answer').fill('Last Tuesday evening, from Lagos, on my old phone.');
    await page.getByRole('button', { name: 'Send answer' }).click();
    const messages = page.getByRole('list', { name: 'Messages, oldest first' });
    await expect(messages.getByRole('listitem').last()).toContainText('Last Tuesday evening, from Lagos, on my old phone.');
    await expect(messages.getByRole('listitem').last()).toContainText('You');
    await expect(progress.locator('[aria-current="step"]')).toContainText('In review');

    // A new image for the agent goes through the same checks.
    await page.getByLabel('Choose a file for an extra image for your request').setInputFiles(await image(1000, 1000));
    await expect(page.getByText('Extra image', { exact: true })).toBeVisible();
    await snapshot(page, testInfo, 'status-answered');
  });

  test('a file over 10 MB is stopped in the browser, and after 5 failed face checks the wait and its end are shown', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 390, height: 844 });
    // No recovery code this time: the person types the address (the answer never says whether it has an account).
    await page.goto('/recover/documents');
    await page.getByRole('radio', { name: /My authenticator app/ }).check();
    const contact = `someone-${randomBytes(4).toString('hex')}@example.com`;
    await page.getByLabel('Your email address').fill(contact);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(contact));
    await page.getByRole('button', { name: 'Confirm and continue' }).click();
    await expect(page.getByRole('heading', { name: 'Add your photos' })).toBeVisible();

    const front = page.getByRole('region', { name: '1. Front of your document' });
    const selfie = page.getByRole('region', { name: '3. A selfie' });
    await page
      .getByLabel('Choose a file for the front of your document')
      .setInputFiles({ name: 'huge.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(11 * 1024 * 1024, 1) });
    await expect(front.getByRole('alert')).toContainText('This file is 11 MB; the limit is 10 MB.');
    await page.getByLabel('Choose a file for the front of your document').setInputFiles(faceFile('front.jpg', await documentFront('s1a')));
    await expect(front.getByText('Saved. This photo passed our checks.')).toBeVisible();
    await page.getByLabel('Take a photo of the back of your document').setInputFiles(await image(1200, 800));
    await expect(page.getByRole('region', { name: '2. Back of your document' }).getByText('Saved. This photo passed our checks.')).toBeVisible();

    const dark = { name: 'dark.jpg', mimeType: 'image/jpeg', buffer: await photo(720, 960, { mean: 15, spread: 10 }).jpeg().toBuffer() };
    await page.getByLabel('Take a selfie', { exact: true }).setInputFiles(dark);
    await expect(selfie.getByRole('alert')).toContainText('Your selfie is too dark');
    await expect(selfie.getByText('Face check: 4 of 5 tries left.')).toBeVisible();

    // Three more failures happened (fixture); the fifth starts the 30-minute wait.
    const reference = (await page.locator('p', { hasText: 'is open.' }).locator('span.font-mono').textContent())!;
    const db = createPrisma(E2E.databaseUrl);
    try {
      await db.recoveryTicket.update({ where: { reference }, data: { faceCheckAttempts: 4 } });
    } finally {
      await db.$disconnect();
    }
    const before = Date.now();
    await page.getByLabel('Take a selfie', { exact: true }).setInputFiles(dark);
    await expect(selfie.getByText('The face check is paused')).toBeVisible();
    const until = await selfie.locator('time').getAttribute('datetime');
    const minutes = (new Date(until!).getTime() - before) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThan(31);
    await expect(selfie.locator('time')).toContainText(/\d\d:\d\d UTC on \d+ \w{3} \d{4}/);
    await expect(page.getByLabel('Take a selfie', { exact: true })).toBeDisabled();
    await expect(front.getByText('Saved', { exact: true })).toBeVisible();
    await snapshot(page, testInfo, 'documents-face-check-paused');

    // A reload keeps both: the saved front and the pause.
    await page.reload();
    await expect(selfie.getByText('The face check is paused')).toBeVisible();
    await expect(front.getByText('Saved earlier. You can replace it if you like.')).toBeVisible();

    // The way on without a selfie: submit the document photos and ask for a video call.
    const offer = selfie.getByTestId('video-call-offer');
    await expect(offer.getByRole('link', { name: 'Join a video call appointment' })).toHaveAttribute('href', '/recover/video');
    await expect(offer.getByRole('link', { name: 'status page' })).toHaveAttribute('href', '/recover/status');
    await snapshot(page, testInfo, 'documents-video-call-offer');
    await offer.getByRole('button', { name: 'Submit and ask for a video call' }).click();
    await expect(page.getByRole('heading', { name: 'Your request is with our security team' })).toBeVisible();
    const check = createPrisma(E2E.databaseUrl);
    try {
      const notes = await check.ticketMessage.findMany({ where: { ticket: { reference }, kind: 'INTERNAL_NOTE' } });
      expect(notes.map((n) => n.body)).toEqual([expect.stringContaining('asked to confirm their identity on a video call')]);
    } finally {
      await check.$disconnect();
    }
  });

  test('video call: the emailed code plus an authenticator code give the meeting link; a wrong app code is refused first', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 390, height: 844 });
    const account = await accountWithAuthenticator();
    const { reference, meetingUrl } = await videoAppointment(account);

    await page.goto('/tools');
    await page.getByRole('link', { name: /Join video call appointment/ }).click();
    await expect(page).toHaveURL(/\/recover\/video$/);
    await expect(page.getByRole('heading', { name: 'Join your video call' })).toBeVisible();
    await snapshot(page, testInfo, 'video-start');
    await page.getByLabel('Reference number').fill(reference);
    await page.getByRole('button', { name: 'Email me a code' }).click();

    await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
    const emailCode = await latestCodeSentTo(account.email);
    await page.getByLabel('Code from the email').fill(emailCode);
    const right = account.code();
    await page.getByLabel('Code from your authenticator app').fill(String((Number(right) + 1) % 1_000_000).padStart(6, '0'));
    await page.getByRole('button', { name: 'Get my meeting link' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'We couldn’t let you in' });
    await expect(refusal).toContainText("Those codes didn't work");
    await expect(refusal).toContainText('4 tries left');
    await expect(page.getByRole('link', { name: /Join the call/ })).toHaveCount(0);
    await snapshot(page, testInfo, 'video-refused');

    await page.getByLabel('Code from the email').fill(emailCode);
    await page.getByLabel('Code from your authenticator app').fill(account.code());
    await page.getByRole('button', { name: 'Get my meeting link' }).click();
    const join = page.getByRole('link', { name: /Join the call/ });
    await expect(join).toBeVisible();
    await expect(join).toHaveAttribute('href', meetingUrl);
    await expect(join).toHaveAttribute('rel', 'noopener noreferrer');
    await snapshot(page, testInfo, 'video-joined');
  });
});

test.describe('finishing an approved request from the emailed link', () => {
  test('the link survives a closed tab in its own browser, is refused in any other, and is spent once the new app is set up', async ({ page, context, browser }, testInfo) => {
    await page.setViewportSize({ width: 390, height: 844 });
    const account = await accountWithAuthenticator();
    const link = await approvedTicketLink(account, 'authenticator');
    await page.goto(link);
    await expect(page).toHaveURL(/\/recover\/complete$/);
    // It says what will be set up before anything happens.
    await expect(page.getByRole('heading', { name: 'Next: a new authenticator app' })).toBeVisible();
    await snapshot(page, testInfo, 'complete-authenticator');
    await page.getByRole('button', { name: 'Continue to set up your new authenticator app' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your new authenticator app' })).toBeVisible();
    // The tab is closed before the new app is set up.
    await page.close();

    // The link forwarded to (or intercepted by) someone else: their browser is refused.
    const other = await browser.newContext();
    const stranger = await other.newPage();
    await stranger.goto(`${E2E.baseUrl}${link}`);
    await expect(stranger.getByRole('main').getByRole('alert')).toContainText('already in use in another browser');
    await expect(stranger.getByRole('button', { name: /Continue/ })).toHaveCount(0);
    await other.close();

    // The owner opens the same link again in the same browser and finishes.
    const again = await context.newPage();
    await again.setViewportSize({ width: 390, height: 844 });
    await again.goto(link);
    await expect(again.getByText('Pick up where you left off')).toBeVisible();
    await snapshot(again, testInfo, 'complete-resume');
    await again.getByRole('button', { name: 'Continue setting up your new authenticator app' }).click();
    await again.getByRole('button', { name: 'Set up my new authenticator app' }).click();
    const secret = base32Decode((await again.getByTestId('setup-key').textContent())!);
    await again.getByLabel('Enter the code the app shows').fill(totp(secret, { time: new Date() }));
    await again.getByRole('button', { name: 'Confirm and finish' }).click();
    await expect(again.getByRole('heading', { name: 'Your authenticator app is replaced' })).toBeVisible();

    // Spent: the same link in the same browser now says so.
    await again.goto(link);
    await expect(again.getByRole('main').getByRole('alert')).toContainText('already used');
    await expect(again.getByRole('button', { name: /Continue/ })).toHaveCount(0);
  });

  test('a lost email address: the page names it, and the address given on the request is filled in', async ({ page }, testInfo) => {
    await clearSinkMessages();
    await page.setViewportSize({ width: 390, height: 844 });
    const account = await accountWithAuthenticator();
    const fresh = `fresh-${randomBytes(4).toString('hex')}@example.com`;
    await page.goto(await approvedTicketLink(account, 'email', fresh));
    await expect(page.getByRole('heading', { name: 'Next: your new email address' })).toBeVisible();
    await expect(page.getByText(/We.ll suggest f•••@example\.com, the address you gave us/)).toBeVisible();
    await snapshot(page, testInfo, 'complete-email');
    await page.getByRole('button', { name: 'Continue to set up your new email address' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your new email address' })).toBeVisible();
    await expect(page.getByLabel('Your new email address')).toHaveValue(fresh);
    await page.getByRole('button', { name: 'Send a code' }).click();
    await page.getByLabel('6-digit code').fill(await latestCodeSentTo(fresh));
    await page.getByRole('button', { name: 'Confirm and finish' }).click();
    await expect(page.getByRole('heading', { name: 'Your email address is replaced' })).toBeVisible();
  });
});
