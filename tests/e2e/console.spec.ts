import { expect, test } from '@playwright/test';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { createPrisma } from '@/lib/db/client';
import { accountWithAuthenticator, consoleAgent, consoleSignIn } from './accounts';
import { highRiskTicket, workingDay } from './fixtures';
import { E2E, expectNoSeriousA11yViolations, latestCodeSentTo, sinkMessages } from './support';

/**
 * The agent console (docs/product.md D): an agent claims a high-risk identity-document ticket, opens the
 * document (watermarked), asks the person for more; the person answers on the status page; the
 * agent approves, and because the ticket is high risk a supervisor in another browser confirms.
 * The person opens the /recover/complete link and binds a new authenticator app, which spends the link.
 *
 * The agents are made for this test (consoleAgent), each with its own authenticator secret.
 */

test.describe('agent console', () => {
  test('claim, open the document, ask for more, approve; a supervisor confirms; the person gets the link', async ({ page, browser }, testInfo) => {
    test.slow();
    const account = await accountWithAuthenticator();
    const ticket = await highRiskTicket(account);
    const agent = await consoleAgent('AGENT', 'Alice Mensah');
    const supervisor = await consoleAgent('SUPERVISOR', 'Sam Ortiz');
    await workingDay(agent.id);
    await page.setViewportSize({ width: 1280, height: 900 });

    // ── The agent finds the ticket in the queue and claims it ──
    await consoleSignIn(page, agent);
    await expect(page.getByRole('row').filter({ hasText: 'Overdue by 3 h' })).toBeVisible();
    await expect(page.getByTestId('queue-updated-at')).toContainText(/Updated \d{2}:\d{2}:\d{2} UTC/);
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('console-queue-1280', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    await page.getByLabel('Risk', { exact: true }).selectOption('HIGH');
    await page.getByLabel('Sort', { exact: true }).selectOption('newest');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/risk=HIGH/);
    const row = page.getByRole('row').filter({ hasText: ticket.reference });
    await expect(row).toContainText('Authenticator reset');
    await expect(row).toContainText('Unassigned');
    await expect(row).toContainText('High risk');
    await expect(row).toContainText(/\d+ (d|h).* left/);

    await row.getByRole('button', { name: `Claim ${ticket.reference}` }).click();
    await expect(page).toHaveURL(new RegExp(`/console/tickets/${ticket.id}$`));
    await expect(page.getByRole('heading', { level: 1 })).toContainText(ticket.reference);
    await expect(page.getByText('In review', { exact: true }).first()).toBeVisible();
    await expect(page.getByText('High risk: two people must approve')).toBeVisible();

    // ── The document opens on demand, watermarked ──
    await page.getByRole('button', { name: 'Open document' }).click();
    const image = page.getByRole('img', { name: /ID document, front, watermarked/ });
    await expect(image).toBeVisible();
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1200);
    await testInfo.attach('console-document-1280', { body: await page.getByRole('figure').screenshot(), contentType: 'image/png' });
    const served = await page.request.get(`/console/tickets/${ticket.id}/documents/${ticket.documentId}`);
    expect(served.status()).toBe(200);
    expect(served.headers()['cache-control']).toContain('no-store');
    expect(served.headers()).toMatchObject({ 'content-disposition': 'inline', 'x-content-type-options': 'nosniff', 'content-type': 'image/jpeg' });

    // ── Asks the person for more ──
    await page.getByLabel('What do you need from the person?').fill('Please upload a photo of the back of your ID card.');
    await page.getByRole('button', { name: 'Request more information' }).click();
    await expect(page.getByText('Waiting for person', { exact: true }).first()).toBeVisible();
    await expect(page.getByText('Please upload a photo of the back of your ID card.')).toBeVisible();

    // ── The person answers on the status page, in their own browser ──
    const person = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const personPage = await person.newPage();
    await personPage.goto('/recover/status');
    await personPage.getByLabel('Reference number').fill(ticket.reference);
    await personPage.getByLabel('Email address').fill(account.email);
    await personPage.getByRole('button', { name: 'Send me a code' }).click();
    await expect(personPage.getByRole('heading', { name: 'Check your email' })).toBeVisible();
    await personPage.getByLabel('6-digit code from the email').fill(await latestCodeSentTo(account.email));
    await personPage.getByRole('button', { name: 'Open my request' }).click();
    await expect(personPage.getByText('Please upload a photo of the back of your ID card.')).toBeVisible();
    await personPage.getByLabel('Your answer').fill('I uploaded the back of my ID card.');
    await personPage.getByRole('button', { name: 'Send answer' }).click();
    await expect(personPage.getByRole('list', { name: 'Messages, oldest first' }).getByRole('listitem').last()).toContainText('I uploaded the back of my ID card.');

    // ── The agent approves: high risk, so it waits for a second person ──
    await page.reload();
    await expect(page.getByText('I uploaded the back of my ID card.')).toBeVisible();
    await page.getByLabel('Internal note').fill('Front matches the selfie on file; back now uploaded.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await expect(page.getByText('Note added. Only agents can see it.')).toBeVisible();
    await page.getByRole('button', { name: 'Approve (first of two)' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Waiting for a second approver' })).toBeVisible();
    await expect(page.getByText('You gave the first approval, so a different agent or a supervisor has to confirm it.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Confirm approval' })).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await testInfo.attach('console-ticket-1280', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    // ── A supervisor, in another browser, confirms ──
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const supervisorPage = await other.newPage();
    await consoleSignIn(supervisorPage, supervisor);
    await supervisorPage.getByLabel('Status', { exact: true }).selectOption('awaiting_second_approval');
    await supervisorPage.getByRole('button', { name: 'Apply' }).click();
    const waiting = supervisorPage.getByRole('row').filter({ hasText: ticket.reference });
    await expect(waiting).toContainText('Waiting for a second approver');
    await expect(waiting).toContainText('Alice Mensah');
    await waiting.getByRole('link', { name: ticket.reference, exact: true }).click();
    await expect(supervisorPage.getByText('Alice Mensah approved this request.')).toBeVisible();
    await expectNoSeriousA11yViolations(supervisorPage);
    await testInfo.attach('console-ticket-supervisor-1280', { body: await supervisorPage.screenshot({ fullPage: true }), contentType: 'image/png' });
    await supervisorPage.getByRole('button', { name: 'Confirm approval' }).click();
    await expect(supervisorPage.getByText(/Approved by Alice Mensah, confirmed by Sam Ortiz/)).toBeVisible();
    await other.close();

    // ── The person has the approval mail with the link ──
    await expect
      .poll(async () => (await sinkMessages()).emails.filter((m) => m.to.includes(account.email) && /approved/i.test(m.subject)).length, { timeout: 60_000 })
      .toBe(1);
    const mail = (await sinkMessages()).emails.find((m) => m.to.includes(account.email) && /approved/i.test(m.subject))!;
    expect(mail.text).toContain(`${E2E.baseUrl}/recover/complete`);

    // The agent's page, reloaded, shows the decision with both names.
    await page.reload();
    await expect(page.getByText(/Approved by Alice Mensah, confirmed by Sam Ortiz/)).toBeVisible();

    // ── The person opens the link and binds a new authenticator app; they are not signed in by it ──
    const link = mail.text.match(/https?:\/\/\S+\/recover\/complete#[A-Za-z0-9_-]+/)![0];
    await personPage.goto(link);
    await expect(personPage).toHaveURL(/\/recover\/complete$/);
    await personPage.getByRole('button', { name: 'Continue to set up your new authenticator app' }).click();
    await personPage.getByRole('button', { name: 'Set up my new authenticator app' }).click();
    const secret = base32Decode((await personPage.getByTestId('setup-key').textContent())!);
    await personPage.getByLabel('Enter the code the app shows').fill(totp(secret, { time: new Date() }));
    await personPage.getByRole('button', { name: 'Confirm and finish' }).click();
    await expect(personPage.getByRole('heading', { name: 'Your authenticator app is replaced' })).toBeVisible();
    // Binding the new app spent the link.
    await personPage.goto(link);
    await expect(personPage.getByRole('main').getByRole('alert')).toContainText('already used');
    await person.close();
    const db = createPrisma(E2E.databaseUrl);
    expect((await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { status: true } })).status).toBe('COMPLETED');
    await db.$disconnect();
  });

  test('the queue and the ticket page are usable at 390 px; a ticket or document of someone else stays closed', async ({ page }, testInfo) => {
    const agent = await consoleAgent('AGENT', 'Bea Kowalski');
    const colleague = await consoleAgent('AGENT', 'Chidi Okeke');
    const mine = await highRiskTicket(await accountWithAuthenticator());
    const theirs = await highRiskTicket(await accountWithAuthenticator(), colleague.id);
    await page.setViewportSize({ width: 390, height: 844 });
    await consoleSignIn(page, agent);
    // Only the table scrolls sideways; the page itself fits the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expect(page.getByRole('row').filter({ hasText: theirs.reference })).toHaveCount(0);
    await testInfo.attach('console-queue-390', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    await expectNoSeriousA11yViolations(page);

    await page.getByRole('button', { name: `Claim ${mine.reference}` }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText(mine.reference);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('console-ticket-390', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    // A colleague's ticket: the page, its document, and an unknown id all answer the same 404.
    expect((await page.goto(`/console/tickets/${theirs.id}`))!.status()).toBe(404);
    expect((await page.request.get(`/console/tickets/${theirs.id}/documents/${theirs.documentId}`)).status()).toBe(404);
    expect((await page.request.get(`/console/tickets/${mine.id}/documents/${theirs.documentId}`)).status()).toBe(404);
    expect((await page.request.get(`/console/tickets/${crypto.randomUUID()}/documents/${theirs.documentId}`)).status()).toBe(404);
    const db = createPrisma(E2E.databaseUrl);
    expect(await db.auditEvent.count({ where: { action: 'document.viewed', subjectId: theirs.documentId } })).toBe(0);
    expect(await db.auditEvent.count({ where: { action: 'ticket.access_refused', actorId: agent.id } })).toBeGreaterThanOrEqual(3);
    await db.$disconnect();
  });
});
