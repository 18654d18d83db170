import { randomBytes } from 'node:crypto';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '@/prisma/seed';
import { consoleAgent, consoleSignIn } from './accounts';
import { seedHelpActivity } from './fixtures';
import { E2E, expectNoSeriousA11yViolations } from './support';

/**
 * The console's audit log, help analytics and administration (docs/product.md D) in a real browser:
 * a supervisor searches the log and verifies the chain, reads analytics; an agent is refused;
 * an admin creates and revokes a host API key.
 */

async function screenshot1280(page: Page, testInfo: import('@playwright/test').TestInfo, name: string) {
  await page.setViewportSize({ width: 1280, height: 900 });
  // A full-page shot of a scrolled page paints the sticky site header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await testInfo.attach(name, { body: await page.screenshot({ fullPage: true, path: testInfo.outputPath(`${name}.png`) }), contentType: 'image/png' });
}

async function newPage(browser: Browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return context.newPage();
}

test.describe('console: audit log, analytics, administration', () => {
  const SUPERVISOR = { email: 'supervisor@example.com', password: DEMO_PASSWORD, secret: DEMO_TOTP_SECRET };

  test('a supervisor searches the audit log and verifies the chain; the search itself is on record', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await consoleSignIn(page, SUPERVISOR);

    // Audit log: the supervisor's own sign-in is there; narrow to it by event type.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
    await page.getByLabel('Event type').fill('agent.sign_in');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(page).toHaveURL(/action=agent.sign_in/);
    const table = page.getByRole('table', { name: /Audit events/ });
    await expect(table.getByRole('row').nth(1)).toContainText('Sam Ortiz');
    const actions = await table.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['agent.sign_in']));

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect(page.getByText(/^Chain intact: [\d,]+ events checked$/)).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot1280(page, testInfo, 'audit-log-1280');

    // The search just made is on record, as the supervisor's.
    await page.getByLabel('Event type').fill('audit.searched');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(table.getByRole('row').nth(1)).toContainText('Sam Ortiz');
    await expect(table.getByRole('row').nth(1)).toContainText('filters.action: agent.sign_in');
  });

  test('a supervisor reads help-center analytics; administration is for admins only', async ({ page }, testInfo) => {
    await seedHelpActivity();
    await page.setViewportSize({ width: 1280, height: 900 });
    await consoleSignIn(page, SUPERVISOR);

    // Analytics: the chart, its table alternative, the searches nobody found an answer for.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Analytics' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Help-center analytics' })).toBeVisible();
    const chart = page.getByRole('img', { name: /Article views per day/ });
    await expect(chart).toBeVisible();
    expect((await chart.boundingBox())!.width).toBeGreaterThan(600);
    await expect(page.getByText('Show the numbers as a table')).toBeVisible();
    await expect(page.getByRole('table', { name: /Searches that found nothing/ })).toContainText('change phone number without old sim');
    await expect(page.getByRole('table', { name: /Least helpful articles/ }).getByRole('link').first()).toHaveAttribute('href', '/articles/rename-passkey');
    await expectNoSeriousA11yViolations(page);
    await screenshot1280(page, testInfo, 'analytics-1280');

    // Administration is for admins only.
    await page.goto('/console/admin');
    await expect(page.getByText('403 · Not available to your role')).toBeVisible();
  });

  test('an agent has no analytics link, and the analytics and audit pages refuse them', async ({ browser }) => {
    const agent = await consoleAgent('AGENT');
    const agentPage = await newPage(browser);
    await consoleSignIn(agentPage, agent);
    await expect(agentPage.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Analytics' })).toHaveCount(0);
    // Refused pages answer 403, not 200 with a refusal drawn on them (docs/security.md rule 12).
    expect((await agentPage.goto('/console/analytics'))?.status()).toBe(403);
    await expect(agentPage.getByText('403 · Not available to your role')).toBeVisible();
    await expect(agentPage.getByRole('heading', { level: 1 })).toHaveText('Help-center analytics is for supervisors and admins');
    await expect(agentPage.getByRole('img', { name: /Article views per day/ })).toHaveCount(0);
    await expectNoSeriousA11yViolations(agentPage);
    expect((await agentPage.goto('/console/audit'))?.status()).toBe(403);
    await expect(agentPage.getByRole('heading', { level: 1 })).toHaveText('The audit log is for supervisors and admins');
    await agentPage.context().close();
  });

  test('an admin creates a host API key that is shown once, and revokes it', async ({ page, context }, testInfo) => {
    const admin = await consoleAgent('ADMIN');
    await page.setViewportSize({ width: 1280, height: 900 });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: E2E.baseUrl });
    await consoleSignIn(page, admin);
    await page.goto('/console/admin');
    await expect(page.getByRole('heading', { level: 1, name: 'Administration' })).toBeVisible();

    // Their own row offers no way to demote or deactivate themselves.
    const own = page.getByRole('row').filter({ hasText: admin.email });
    await expect(own).toContainText('Your own access is changed by another admin.');
    await expect(own.getByRole('button')).toHaveCount(0);

    const name = `Exchange staging ${randomBytes(2).toString('hex')}`;
    await page.getByLabel('New key name').fill(name);
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByText('Copy this key now. It is shown only once.')).toBeVisible();
    const keyField = page.getByLabel(`API key “${name}”`);
    const key = await keyField.inputValue();
    expect(key).toMatch(/^rg_live_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

    // The host can use it at once.
    const hold = await fetch(`${E2E.baseUrl}/api/v1/accounts/00000000-0000-4000-8000-000000000000/hold`, { headers: { authorization: `Bearer ${key}` } });
    expect(hold.status).not.toBe(401);

    const prefix = key.split('_')[2]!;
    const row = page.getByRole('row').filter({ hasText: name });
    await expect(row).toContainText(`rg_live_${prefix}_…`);
    await expect(row).toContainText('Active');
    await expectNoSeriousA11yViolations(page);
    await screenshot1280(page, testInfo, 'admin-1280');

    await page.getByRole('button', { name: 'I have stored it' }).click();
    await expect(page.getByLabel(`API key “${name}”`)).toHaveCount(0);
    await page.reload();
    await expect(page.getByText(key)).toHaveCount(0);

    await row.getByRole('button', { name: `Revoke key ${prefix} (${name})` }).click();
    await row.getByRole('button', { name: `Revoke ${prefix} now` }).click();
    await expect(row).toContainText('Revoked');
    const refused = await fetch(`${E2E.baseUrl}/api/v1/accounts/00000000-0000-4000-8000-000000000000/hold`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);

    // Both changes are in the audit log under the admin's name.
    await page.goto(`/console/audit?actor=${admin.id}`);
    const table = page.getByRole('table', { name: /Audit events/ });
    await expect(table).toContainText('api_key.revoked');
    await expect(table).toContainText('api_key.created');
  });
});
