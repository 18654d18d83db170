import { describe, expect, it } from 'vitest';
import { analyzeMarkdown, renderMarkdown } from '@/lib/help/markdown';

describe('article markdown', () => {
  it('renders GFM tables and numbered steps', () => {
    const html = renderMarkdown('1. Open the app.\n2. Tap **Security**.\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    expect(html).toContain('<ol>');
    expect(html).toContain('<strong>Security</strong>');
    expect(html).toContain('<table>');
    expect(html).toContain('<td>1</td>');
  });

  it('turns GitHub-style alerts into titled callouts', () => {
    const html = renderMarkdown('> [!WARNING]\n> Never share your code.');
    expect(html).toContain('<aside class="callout callout-warning">');
    expect(html).toContain('<p class="callout-title">Warning</p>');
    expect(html).toContain('<p>Never share your code.</p>');
    expect(html).not.toContain('[!WARNING]');
  });

  it.each([
    ['<script>alert(1)</script>', /<script/i],
    ['<img src=x onerror=alert(1)>', /onerror/i],
    ['[click](javascript:alert(1))', /javascript:/i],
    ['<iframe src="https://evil.example"></iframe>', /<iframe/i],
    ['<a href="/x" onclick="steal()">x</a>', /onclick/i],
    ['> [!NOTE]\n> <div class="callout" style="position:fixed">x</div>', /style=/i],
  ])('strips hostile markup: %s', (markdown, forbidden) => {
    expect(renderMarkdown(markdown)).not.toMatch(forbidden);
  });

  it('extracts plain text for search without callout markers, and the article links', () => {
    const { text, articleLinks } = analyzeMarkdown(
      '## Steps\n\n> [!NOTE]\n> Codes expire in **10 minutes**. See [codes](/articles/sms-code-not-received).\n\n| Code | Meaning |\n|---|---|\n| 50162 | [Passkey](/articles/fix-passkey-error-50162-android#steps) |\n\n- [elsewhere](https://example.com)',
    );
    expect(text).toBe('Steps Codes expire in 10 minutes. See codes. Code Meaning 50162 Passkey elsewhere');
    expect(articleLinks).toEqual(['sms-code-not-received', 'fix-passkey-error-50162-android']);
  });
});
