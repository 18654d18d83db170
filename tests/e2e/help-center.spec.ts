import { randomBytes } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { createPrisma } from '@/lib/db/client';
import { E2E, expectNoSeriousA11yViolations } from './support';

const pinDay = (page: Page, iso: string) =>
  page.context().addCookies([{ name: 'regain_test_now', value: iso, url: E2E.baseUrl }]);

async function viewCount(page: Page) {
  const text = await page.getByRole('article').locator('header').getByText(/\d+ views?$/).textContent();
  return Number(text!.replace(/\D/g, ''));
}

test.describe('help center', () => {
  test('a typo still finds the article; reading and voting work; views count once a day', async ({ page }, testInfo) => {
    await pinDay(page, '2026-06-01T10:00:00Z');
    await page.goto('/');
    const box = page.getByRole('combobox', { name: 'Search the help center' });
    await box.fill('pasky');
    const suggestions = page.getByRole('listbox', { name: 'Suggested articles' });
    await expect(suggestions.getByRole('option').first()).toContainText(/passkey/i);
    await box.press('Enter');

    await expect(page).toHaveURL(/\/search\?q=pasky/);
    await expect(page.getByText('Showing results for passkey')).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: /^Showing 1–10 of \d+ articles$/ })).toBeVisible();
    await expect(page.locator('main ol mark').first()).toHaveText(/passkey/i);
    await expectNoSeriousA11yViolations(page);
    await testInfo.attach('results', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    await page.getByRole('link', { name: /Rename/ }).first().click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText(/rename/i);
    await expect(page.getByRole('navigation', { name: 'Breadcrumb' })).toContainText('Help center');
    const first = await viewCount(page);
    expect(first).toBeGreaterThanOrEqual(1);
    await expectNoSeriousA11yViolations(page);

    await page.reload();
    expect(await viewCount(page)).toBe(first);

    await pinDay(page, '2026-06-02T08:00:00Z');
    await page.reload();
    expect(await viewCount(page)).toBe(first + 1);

    const vote = page.getByRole('region', { name: 'Was this article helpful?' });
    await vote.getByRole('button', { name: 'No' }).click();
    await vote.getByLabel(/What was missing/).fill('The iPhone steps are not clear.');
    await vote.getByRole('button', { name: 'Send feedback' }).click();
    await expect(vote.getByText('Thanks for telling us.')).toBeVisible();
    await page.reload();
    await expect(vote.getByRole('button', { name: 'No' })).toHaveAttribute('aria-pressed', 'true');
    await vote.getByRole('button', { name: 'Yes' }).click();
    await expect(vote.getByText('Thanks! Glad it helped.')).toBeVisible();
    await testInfo.attach('article', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  });

  test('an article shows at once; its view is counted by the browser afterwards, and "0 views" never shows', async ({ page }) => {
    // Hold the visit request: the prerendered article must not wait for it.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/help/articles/*/visit', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto('/articles/buying-a-security-key');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Was this article helpful?' })).toBeVisible();
    await expect(page.getByText(/\d+ views?$/)).toHaveCount(0);
    release();
    expect(await viewCount(page)).toBeGreaterThanOrEqual(1);

    // Lists are the same file for everyone: they show no counts, and never a zero.
    await page.goto('/');
    await expect(page.locator('#browse ol > li').first()).toBeVisible();
    await expect(page.getByText(/^0 views$/)).toHaveCount(0);
    await page.goto('/search?q=passkey');
    await expect(page.getByRole('status').filter({ hasText: /^Showing 1–/ })).toBeVisible();
    await expect(page.getByText(/^0 views$/)).toHaveCount(0);
  });

  test('results narrow by category and paginate', async ({ page }) => {
    await page.goto('/search?q=passkey');
    await page.getByRole('navigation', { name: 'Filter by category' }).getByRole('link', { name: /Announcements/ }).click();
    await expect(page).toHaveURL(/category=announcements/);
    // The results follow the address once loaded: wait until every one shows the category's badge.
    const results = page.locator('main ol > li');
    await expect(results.first()).toBeVisible();
    await expect(results.filter({ hasNot: page.getByText('Announcements', { exact: true }) })).toHaveCount(0);

    await page.goto('/search?q=account');
    await expect(page.getByRole('status').filter({ hasText: /^Showing 1–10 of/ })).toBeVisible();
    await page.getByRole('navigation', { name: 'Pagination' }).getByRole('link', { name: 'Next' }).click();
    await expect(page.getByRole('status').filter({ hasText: /^Showing 11–/ })).toBeVisible();
  });

  test('a search with no results offers popular articles and the self-service tools', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/search?q=qzxwvkjh');
    await expect(page.getByText('No articles found')).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Popular articles' })).toBeVisible();
    await expect(page.getByRole('link', { name: /Join video call appointment/ })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });

  test('home page browses by category with counts', async ({ page }) => {
    await page.goto('/');
    const tabs = page.getByRole('navigation', { name: 'Article categories' });
    await tabs.getByRole('link', { name: /FAQ/ }).click();
    await expect(page).toHaveURL(/\/categories\/faq#browse$/);
    await expect(tabs.getByRole('link', { name: /FAQ/ })).toHaveAttribute('aria-current', 'page');
    await expect(page.locator('#browse ol > li').first()).toContainText('FAQ');
    await expectNoSeriousA11yViolations(page);

    // The old address of a tab still leads to it.
    await page.goto('/?category=announcements');
    await expect(page).toHaveURL(/\/categories\/announcements$/);
    await expect(tabs.getByRole('link', { name: /Announcements/ })).toHaveAttribute('aria-current', 'page');
  });

  test('the search API validates input and never reflects markup', async ({ request }) => {
    const ok = await request.get('/api/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%20passkey');
    expect(ok.status()).toBe(200);
    const body = await ok.json();
    expect(body.engine).toBe('embedded');
    // Only our own <mark> tags appear in highlighted fields; the rest is escaped text.
    for (const hit of body.hits) expect(`${hit.title}${hit.snippet}`).not.toMatch(/<(?!\/?mark>)/);

    const long = await request.get(`/api/search?q=${'a'.repeat(201)}`);
    expect(long.status()).toBe(422);
    expect((await long.json()).error.fieldErrors.q[0]).toMatch(/at most 200/);
    expect((await request.get('/api/search?q=passkey&page=99')).status()).toBe(422);
    expect((await request.get('/api/search?q=a%01b')).status()).toBe(422);

    const suggest = await (await request.get('/api/search/suggest?q=authent')).json();
    expect(suggest.suggestions[0].title).toMatch(/<mark>Authenticator<\/mark>/i);
  });

  test('every first-page search is logged for analytics, after the answer is sent', async ({ request, page }) => {
    const db = createPrisma(E2E.databaseUrl);
    try {
      const viaApi = `passkey ${randomBytes(4).toString('hex')}`;
      expect((await request.get(`/api/search?q=${encodeURIComponent(viaApi)}`)).status()).toBe(200);
      const viaPage = `authenticator ${randomBytes(4).toString('hex')}`;
      await page.goto(`/search?q=${encodeURIComponent(viaPage)}`);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      for (const query of [viaApi, viaPage]) {
        await expect.poll(() => db.searchQuery.count({ where: { query } }), { message: `the log line for "${query}"` }).toBe(1);
      }
    } finally {
      await db.$disconnect();
    }
  });
});
