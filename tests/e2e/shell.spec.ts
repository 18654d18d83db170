import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { accountWithAuthenticator, consoleAgent, consoleSignIn, signIn } from './accounts';
import { E2E, expectNoSeriousA11yViolations } from './support';

test.describe('site shell', () => {
  for (const viewport of [
    { name: 'phone', width: 390, height: 844 },
    { name: 'desktop', width: 1280, height: 900 },
  ]) {
    test(`home page works and is accessible on ${viewport.name}`, async ({ page }, testInfo) => {
      await page.setViewportSize(viewport);
      const response = await page.goto('/');
      expect(response?.status()).toBe(200);

      await expect(page.getByRole('heading', { level: 1, name: 'How can we help?' })).toBeVisible();
      await expect(page.getByRole('combobox', { name: 'Search the help center' })).toBeVisible();
      const header = page.getByRole('banner');
      await expect(header.getByRole('link', { name: 'Sign in' })).toBeVisible();
      await expect(page.getByRole('link', { name: /Join video call appointment/ })).toBeVisible();

      await expectNoSeriousA11yViolations(page);
      await testInfo.attach(`home-${viewport.width}`, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    });
  }

  test('the header leads an account holder to their account, an agent to the console, and a stale cookie to sign-in', async ({ page, browser }) => {
    const account = await accountWithAuthenticator();
    await signIn(page, account.email, account.password, account.code());
    await expect(page).toHaveURL(/\/account\/security$/);
    await page.goto('/');
    await expect(page.getByRole('banner').getByRole('link', { name: 'Account' })).toHaveAttribute('href', '/account/security');

    const agentContext = await browser.newContext();
    const agentPage = await agentContext.newPage();
    await consoleSignIn(agentPage, await consoleAgent('AGENT'));
    await agentPage.goto('/');
    await expect(agentPage.getByRole('banner').getByRole('link', { name: 'Console' })).toHaveAttribute('href', '/console');
    await agentContext.close();

    const stale = await browser.newContext();
    await stale.addCookies([{ name: 'regain.session', value: 'not-a-session', url: E2E.baseUrl }]);
    const stalePage = await stale.newPage();
    await stalePage.goto('/');
    await expect(stalePage.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
    await stale.close();
  });

  test('keyboard users can skip to the content', async ({ page }) => {
    await page.goto('/');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#main$/);
  });

  test('prerendered help pages carry the security headers and the hashes of their own scripts, no nonce', async ({ page }) => {
    // Every CSP violation the browser reports, recorded from before the page's own scripts run.
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
    for (const path of ['/', '/categories/faq', '/articles/rename-passkey', '/search?q=passkey', '/tools']) {
      const response = await page.goto(path);
      const headers = response!.headers();
      const csp = headers['content-security-policy'] ?? '';
      expect(csp, path).not.toContain('nonce-');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
      expect(headers['cache-control'] ?? '').not.toContain('no-store');

      // Every inline script of the served file is listed by its hash, so the page hydrates.
      const html = await response!.text();
      const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
      expect(inline.length).toBeGreaterThan(0);
      for (const hash of inline) expect(csp).toContain(hash);
      await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
      expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations), path).toEqual([]);

      // The same page and the same policy for the next visitor: both can be cached.
      expect((await page.request.get(path)).headers()['content-security-policy']).toBe(csp);
    }
  });

  test('pages rendered per request carry the security headers and a per-request script nonce', async ({ page }) => {
    for (const path of ['/signin', '/recover']) {
      const first = await page.goto(path);
      const headers = first!.headers();
      const csp = headers['content-security-policy'] ?? '';
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce, path).toBeTruthy();
      expect(csp).toContain("'strict-dynamic'");
      expect(csp).not.toContain('sha256-');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
      expect(headers['cache-control']).toContain('no-store');

      // Every script Next emitted carries this request's nonce, so the page hydrates under the CSP.
      const scriptNonces = await page.locator('script').evaluateAll((els) => els.map((el) => (el as HTMLScriptElement).nonce));
      expect(scriptNonces.length).toBeGreaterThan(0);
      expect(new Set(scriptNonces)).toEqual(new Set([nonce]));

      const second = await page.goto(path);
      expect(second!.headers()['content-security-policy']).not.toContain(nonce!);
    }
  });

  test('old recovery tool addresses start the real flow with the loss chosen; unknown ones are an honest 404', async ({ page }) => {
    await page.goto('/recover/authenticator');
    await expect(page).toHaveURL(/\/recover\?lost=authenticator$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Reset your authenticator app' })).toBeVisible();
    const unknown = await page.goto('/recover/video-call');
    expect(unknown?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: "We couldn't find that page" })).toBeVisible();
  });

  test('an unknown page shows a helpful 404', async ({ page }) => {
    const response = await page.goto('/no-such-page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: "We couldn't find that page" })).toBeVisible();
  });

  test('health reports the database and search engine', async ({ request }) => {
    const response = await request.get('/api/health');
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', db: 'ok', search: 'embedded', documentTickets: 'ok' });
    expect(response.headers()['cache-control']).toContain('no-store');
  });
});
