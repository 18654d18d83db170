import { expect, test, type Page } from '@playwright/test';

// Every journey ends somewhere good: from the home page and each self-service tool, every internal
// link leads to a page that exists, works, and is not a "Coming soon" dead end. Signed out, like
// someone who can't sign in.

/** The address to visit for an href on `from`, or undefined for what is not ours to follow. */
function internalTarget(href: string | null, from: URL): string | undefined {
  if (!href) return undefined;
  const value = href.trim();
  // Anything with a scheme (https:, mailto:, tel:, javascript:) or protocol-relative is not an internal link.
  if (!value || /^[a-z][a-z0-9+.-]*:/i.test(value) || value.startsWith('//')) return undefined;
  const url = new URL(value, from);
  if (url.origin !== from.origin) return undefined;
  // Downloads and JSON (/api/…) and the development outbox (/dev/…) are not pages.
  if (/^\/(api|dev)(\/|$)/.test(url.pathname)) return undefined;
  return url.pathname + url.search;
}

async function linksOn(page: Page): Promise<(string | null)[]> {
  return page.locator('a[href]').evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
}

test('every internal link from the home page and the self-service tools leads somewhere good', async ({ page, baseURL }) => {
  // A bound for giving up on a busy two-core machine, not a wait: every page is awaited by its own load.
  test.setTimeout(600_000);
  const origin = new URL(baseURL!);

  // The seeds: the home page, the tools page, and each tool it offers.
  await page.goto('/tools');
  const tools = (await page.getByRole('main').getByRole('listitem').getByRole('link').evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href'))))
    .map((href) => internalTarget(href, origin))
    .filter((url): url is string => Boolean(url));
  expect(tools.length).toBeGreaterThanOrEqual(6);

  const queue: { url: string; from: string }[] = ['/', '/tools', ...tools].map((url) => ({ url, from: '(start)' }));
  const seen = new Set(queue.map((item) => item.url));
  const problems: string[] = [];

  while (queue.length > 0) {
    const { url, from } = queue.shift()!;
    const response = await page.goto(url, { waitUntil: 'domcontentloaded' });
    const status = response?.status() ?? 0;
    if (status === 404 || status >= 500 || status === 0) {
      problems.push(`${url} (linked from ${from}) answered ${status}`);
      continue;
    }
    const text = await page.locator('body').innerText();
    if (/coming soon/i.test(text)) problems.push(`${url} (linked from ${from}) says "Coming soon"`);
    const here = new URL(page.url());
    for (const href of await linksOn(page)) {
      const target = internalTarget(href, here);
      if (target && !seen.has(target)) {
        seen.add(target);
        queue.push({ url: target, from: url });
      }
    }
  }

  test.info().annotations.push({ type: 'pages visited', description: String(seen.size) });
  expect(problems).toEqual([]);
  // The crawl reached the whole help center, not just the start pages.
  expect(seen.size).toBeGreaterThan(40);
});
