import { expect, test, type Page } from '@playwright/test';
import { photo } from '../support/images';
import { accountWithoutSecondFactor } from './accounts';
import { clearSinkMessages, expectNoSeriousA11yViolations, latestCodeSentTo } from './support';

// Issue 8 / security.md rule 21: every page passes axe, focus is always visible, and the main
// journeys work with the keyboard alone.

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
    await page.goto('/recover/documents');
    await page.getByLabel('Your email address').focus();
    await page.keyboard.type(`keyboard-${Date.now()}@example.com`);
    await page.getByRole('button', { name: 'Continue' }).focus();
    await page.keyboard.press('Enter');
    const choose = page.getByLabel('Choose a file for the front of your document');
    await choose.focus();
    const chooser = page.waitForEvent('filechooser');
    await page.keyboard.press('Space');
    const image = await photo(1200, 800).jpeg({ quality: 90 }).toBuffer();
    await (await chooser).setFiles({ name: 'front.jpg', mimeType: 'image/jpeg', buffer: image });
    await expect(page.getByText('Saved. This photo passed our checks.')).toBeVisible();
  });
});
