import { expect, test, type Page } from '@playwright/test';
import { createPrisma } from '@/lib/db/client';
import { documentFront, selfie } from '../support/faces';
import { photo } from '../support/images';
import { accountWithAuthenticator, accountWithoutSecondFactor, addVirtualAuthenticator, consoleAgent, consoleSignIn, pinServerClock, recoverUpToSecondProof, signIn } from './accounts';
import { approvedTicketLink, highRiskTicket, pendingApproval, seedHelpActivity, videoAppointment, workingDay } from './fixtures';
import { clearSinkMessages, E2E, expectNoSeriousA11yViolations, latestCodeSentTo, sinkMessages } from './support';

// docs/security.md rule 21: every page passes axe, focus is always visible, and the main
// journeys work with the keyboard alone. Public pages are opened by address; signed-in and
// mid-flow pages are reached the way people reach them, each state checked where it appears.

const PAGES = [
  '/',
  '/search?q=passkey',
  '/search?q=zzzzqqqq',
  '/articles/reset-authenticator-app',
  '/tools',
  '/signin',
  '/recover',
  '/recover/documents',
  '/recover/status',
  '/recover/video',
  '/recover/complete',
  '/recover/cancel',
  '/console/signin',
  '/no-such-page',
];

/** Tabs through the page and checks each focused element shows a focus indicator. */
async function expectVisibleFocus(page: Page, stops = 8) {
  for (let i = 0; i < stops; i++) {
    await page.keyboard.press('Tab');
    const indicator = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return 'none';
      const style = getComputedStyle(el);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
      return outline || style.boxShadow !== 'none' ? 'visible' : `${el.tagName.toLowerCase()} ${el.textContent?.trim().slice(0, 30)}`;
    });
    if (indicator === 'none') break;
    expect(indicator, 'every focusable element shows where focus is').toBe('visible');
  }
}

/**
 * A page reached mid-journey: axe, then every tab stop from the top of the document (not from the
 * button that led here). Signed-in pages have more controls than the public ones, so more stops;
 * the walk ends early when focus leaves the page.
 */
async function expectAccessible(page: Page, stops = 60) {
  await expectNoSeriousA11yViolations(page);
  await page.evaluate(() => {
    // Focusing the body (or an open modal dialog, outside which everything is inert) moves the
    // sequential-navigation starting point to its top.
    const start = document.querySelector<HTMLElement>('dialog:modal') ?? document.body;
    start.tabIndex = -1;
    start.focus();
    start.removeAttribute('tabindex');
  });
  await expectVisibleFocus(page, stops);
}

const image = async (width: number, height: number) => ({
  name: `photo-${width}x${height}.jpg`,
  mimeType: 'image/jpeg',
  buffer: await photo(width, height).jpeg({ quality: 90 }).toBuffer(),
});

test.describe('every page passes axe and shows focus', () => {
  for (const path of PAGES) {
    test(path, async ({ page }) => {
      await page.goto(path);
      await expectNoSeriousA11yViolations(page);
      await expectVisibleFocus(page);
    });
  }

  test('at 390 px too', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/', '/signin', '/recover', '/recover/documents']) {
      await page.goto(path);
      await expectNoSeriousA11yViolations(page);
    }
  });
});

test.describe('signed-in and mid-flow pages pass axe and show focus', () => {
  test('account: security (wide and at 390 px), approvals with and without a request, the step-up dialog', async ({ page }) => {
    test.slow();
    const account = await accountWithAuthenticator();
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, account.email, account.password, account.code());
    await expect(page).toHaveURL(/\/account\/security$/);
    await expectAccessible(page);
    await page.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(page);
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.goto('/account/approvals');
    await expect(page.getByText('No requests waiting')).toBeVisible();
    await expectAccessible(page);

    // A reset started in another browser (after a verified code), waiting for this signed-in device.
    await pendingApproval(account.id, { change: 'authenticator' });
    await page.reload();
    await expect(page.getByText('Someone is asking to replace the authenticator app on your account')).toBeVisible();
    await expectAccessible(page);

    // A change more than 5 minutes after signing in asks to confirm it's you, in a modal dialog.
    await page.goto('/account/security');
    await pinServerClock(page, new Date(Date.now() + 6 * 60_000));
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.getByLabel('Name (optional)')).toBeVisible();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    const dialog = page.getByRole('dialog', { name: /Confirm it.s you/ });
    await expect(dialog).toBeVisible();
    await expectAccessible(page);
    await dialog.getByLabel('Authenticator code').fill('000000');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect(dialog.getByRole('alert')).toContainText("didn't match");
    await expectAccessible(page);
  });

  test('recovery: verify, verified, reset, the documents flow to submission, and the status page', async ({ page }) => {
    test.slow();
    await clearSinkMessages();
    const account = await accountWithoutSecondFactor();
    await page.goto('/recover');
    await page.getByLabel('Email address or phone number').fill(account.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/recover\/verify$/);
    await expect(page.getByText(/Code expires in \d+:\d\d/)).toBeVisible();
    await expectAccessible(page);

    await page.getByLabel('6-digit code').fill(await latestCodeSentTo(account.phone));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page).toHaveURL(/\/recover\/verified$/);
    await expectAccessible(page);

    // Only SMS and email: a lost passkey is replaced through identity documents.
    await page.getByRole('radio', { name: /My passkey/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/recover\/reset$/);
    await expect(page.getByRole('heading', { name: 'We need to check your identity' })).toBeVisible();
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Continue with an identity document' }).click();
    await expect(page.getByRole('heading', { name: 'Recover your account with an identity document' })).toBeVisible();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Confirm your email address' })).toBeVisible();
    await expectAccessible(page);
    await page.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(account.email));
    await page.getByRole('button', { name: 'Confirm and continue' }).click();
    await expect(page.getByRole('heading', { name: 'Add your photos' })).toBeVisible();
    // Real faces: the front must show a face photo and the selfie one face (the local face match).
    await page
      .getByLabel('Choose a file for the front of your document')
      .setInputFiles({ name: 'front.jpg', mimeType: 'image/jpeg', buffer: await documentFront('s6c') });
    await expect(page.getByRole('region', { name: '1. Front of your document' }).getByText('Saved. This photo passed our checks.')).toBeVisible();
    await expectAccessible(page);

    await page.getByLabel('Take a photo of the back of your document').setInputFiles(await image(1200, 800));
    await expect(page.getByRole('region', { name: '2. Back of your document' }).getByText('Saved. This photo passed our checks.')).toBeVisible();
    await page.getByLabel('Take a selfie', { exact: true }).setInputFiles({ name: 'selfie.jpg', mimeType: 'image/jpeg', buffer: await selfie('s6c') });
    await expect(page.getByRole('region', { name: '3. A selfie' }).getByText('Saved. This photo passed our checks.')).toBeVisible();
    await page.getByRole('button', { name: 'Submit for review' }).click();
    await expect(page.getByRole('heading', { name: 'Your request is with our security team' })).toBeVisible();
    await expectAccessible(page);
    const reference = (await page.getByTestId('ticket-reference').textContent())!.trim();
    // The confirmation mail first, so the newest mail to the address is the status code below.
    await expect.poll(async () => (await sinkMessages()).emails.some((m) => m.to.includes(account.email) && m.text.includes(reference))).toBe(true);

    await page.goto('/recover/status');
    await page.getByLabel('Reference number').fill(reference);
    await page.getByLabel('Email address').fill(account.email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
    await expectAccessible(page);
    await page.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(account.email));
    await page.getByRole('button', { name: 'Open my request' }).click();
    await expect(page.getByRole('heading', { name: reference })).toBeVisible();
    await expectAccessible(page);

    // An agent asks for more: the answer form and the extra-image picker appear.
    const db = createPrisma(E2E.databaseUrl);
    try {
      const ticket = await db.recoveryTicket.findUniqueOrThrow({ where: { reference }, select: { id: true } });
      await db.ticketMessage.create({ data: { ticketId: ticket.id, kind: 'INFO_REQUEST', body: 'Please tell us when you last signed in successfully.' } });
      await db.recoveryTicket.update({ where: { id: ticket.id }, data: { status: 'MORE_INFO_REQUESTED' } });
    } finally {
      await db.$disconnect();
    }
    await page.reload();
    await expect(page.getByLabel('Your answer')).toBeVisible();
    await expectAccessible(page);
  });

  test('recovery: the second proof, the new passkey, and the emailed link that binds a new authenticator app', async ({ page }) => {
    test.slow();
    await clearSinkMessages();
    const account = await accountWithAuthenticator();
    await addVirtualAuthenticator(page, 'platform');
    // A lost passkey takes an email code with the authenticator code (lib/recovery/policy.ts).
    const later = await recoverUpToSecondProof(page, account, /My passkey/, 'email');
    await expect(page.getByRole('heading', { name: /Confirm it.s you a second way/ })).toBeVisible();
    await expectAccessible(page);

    await page.getByLabel('Code from your authenticator app').fill(account.code(later));
    await page.getByRole('button', { name: 'Confirm code' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your new passkey' })).toBeVisible();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Create my new passkey' }).click();
    await expect(page.getByRole('heading', { name: 'Your passkey is replaced' })).toBeVisible();
    await expectAccessible(page);

    // An approved identity-document ticket's link.
    await page.goto(await approvedTicketLink(account, 'authenticator'));
    await expect(page.getByRole('button', { name: 'Continue to set up your new authenticator app' })).toBeEnabled();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Continue to set up your new authenticator app' }).click();
    await expect(page.getByRole('heading', { name: 'Set up your new authenticator app' })).toBeVisible();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Set up my new authenticator app' }).click();
    await expect(page.getByTestId('setup-key')).toBeVisible();
    await expectAccessible(page);
  });

  test('recovery: the video call code step and the meeting link', async ({ page }) => {
    await clearSinkMessages();
    const account = await accountWithAuthenticator();
    const { reference } = await videoAppointment(account);
    await page.goto('/recover/video');
    await page.getByLabel('Reference number').fill(reference);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
    await expectAccessible(page);
    await page.getByLabel('Code from the email').fill(await latestCodeSentTo(account.email));
    await page.getByLabel('Code from your authenticator app').fill(account.code());
    await page.getByRole('button', { name: 'Get my meeting link' }).click();
    await expect(page.getByRole('link', { name: /Join the call/ })).toBeVisible();
    await expectAccessible(page);
  });

  test('console: the queue and a ticket with its document open, wide and at 390 px; a page the role may not see', async ({ page }) => {
    test.slow();
    const agent = await consoleAgent('AGENT');
    const ticket = await highRiskTicket(await accountWithAuthenticator());
    await workingDay(agent.id);
    await page.setViewportSize({ width: 1280, height: 900 });
    await consoleSignIn(page, agent);
    await expectAccessible(page);

    await page.getByRole('button', { name: `Claim ${ticket.reference}` }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText(ticket.reference);
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Open document' }).click();
    await expect(page.getByRole('img', { name: /ID document, front, watermarked/ })).toBeVisible();
    await expectAccessible(page);

    await page.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(page);
    await page.goto('/console');
    await expect(page.getByRole('heading', { name: 'Recovery queue' })).toBeVisible();
    await expectAccessible(page);

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('/console/analytics');
    await expect(page.getByText('403 · Not available to your role')).toBeVisible();
    await expectAccessible(page);
  });

  test('console: the audit log before and after verifying the chain, and analytics', async ({ page }) => {
    await seedHelpActivity();
    const supervisor = await consoleAgent('SUPERVISOR');
    await page.setViewportSize({ width: 1280, height: 900 });
    await consoleSignIn(page, supervisor);
    await page.goto('/console/audit');
    await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
    // A page of events is three links a row: walk all of them to the pager.
    await expectAccessible(page, 250);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect(page.getByText(/^Chain intact: [\d,]+ events checked$/)).toBeVisible();
    await expectAccessible(page, 250);

    await page.goto('/console/analytics');
    await expect(page.getByRole('img', { name: /Article views per day/ })).toBeVisible();
    await expectAccessible(page);
    await page.getByText('Show the numbers as a table').click();
    await expectAccessible(page);
  });

  test('console: administration, with a new key shown once', async ({ page }) => {
    const admin = await consoleAgent('ADMIN');
    await page.setViewportSize({ width: 1280, height: 900 });
    await consoleSignIn(page, admin);
    await page.goto('/console/admin');
    await expect(page.getByRole('heading', { level: 1, name: 'Administration' })).toBeVisible();
    await expectAccessible(page);
    await page.getByLabel('New key name').fill(`Accessibility sweep ${Date.now()}`);
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByText('Copy this key now. It is shown only once.')).toBeVisible();
    await expectAccessible(page);
  });
});

test.describe('keyboard-only journeys', () => {
  test('search: type, pick a suggestion with the arrow keys, open it', async ({ page }) => {
    await page.goto('/');
    const box = page.getByRole('combobox', { name: 'Search the help center' });
    await box.focus();
    await page.keyboard.type('passk');
    await expect(page.getByRole('listbox', { name: 'Suggested articles' })).toBeVisible();
    await page.keyboard.press('ArrowDown');
    await expect(box).toHaveAttribute('aria-activedescendant', /.+/);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/articles\//);
    await page.goto('/');
    await box.focus();
    await page.keyboard.type('authentcator');
    // Escape closes the suggestions and keeps what was typed; Enter then searches for it.
    await expect(page.getByRole('listbox', { name: 'Suggested articles' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('listbox', { name: 'Suggested articles' })).toBeHidden();
    await expect(box).toHaveValue('authentcator');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/search\?q=authentcator/);
    await expect(page.getByRole('main')).toContainText(/authenticator/i);
  });

  test('code entry: start recovery and enter the code without a mouse', async ({ page }) => {
    await clearSinkMessages();
    const account = await accountWithoutSecondFactor();
    await page.goto('/recover');
    await page.getByLabel('Email address or phone number').focus();
    await page.keyboard.type(account.email);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/recover\/verify$/);
    const code = await latestCodeSentTo(account.phone);
    await page.getByLabel('6-digit code').focus();
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/recover\/verified$/);
    // The choice of what was lost is a radio group: arrow keys move, Enter submits.
    await page.getByRole('radio', { name: /My authenticator app/ }).focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.getByRole('radio', { name: /My passkey/ })).toBeChecked();
  });

  test('document upload: the file chooser opens from the keyboard', async ({ page }) => {
    const contact = `keyboard-${Date.now()}@example.com`;
    await page.goto('/recover/documents');
    await page.getByLabel('Your email address').focus();
    await page.keyboard.type(contact);
    await page.getByRole('button', { name: 'Continue' }).focus();
    await page.keyboard.press('Enter');
    // The address is confirmed with a code first, from the keyboard too.
    await page.getByLabel('6-digit code from the email').focus();
    await page.keyboard.type(await latestCodeSentTo(contact));
    await page.keyboard.press('Enter');
    const choose = page.getByLabel('Choose a file for the front of your document');
    await choose.focus();
    const chooser = page.waitForEvent('filechooser');
    await page.keyboard.press('Space');
    // A real face photo: the local face match refuses a front without one.
    await (await chooser).setFiles({ name: 'front.jpg', mimeType: 'image/jpeg', buffer: await documentFront('s6c') });
    await expect(page.getByText('Saved. This photo passed our checks.')).toBeVisible();
  });
});
