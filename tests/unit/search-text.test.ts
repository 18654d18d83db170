import { describe, expect, it } from 'vitest';
import { editDistance, SpellingCorrector } from '@/lib/help/search/spelling';
import { cropAroundFirstMatch, highlightWords, plainText, segmentsToHtml } from '@/lib/help/search/text';

describe('highlighting', () => {
  it('marks whole matching words and leaves everything else as text', () => {
    const segments = highlightWords('Create a Passkey, then passkeys sync.', (w) => w.startsWith('passkey'));
    expect(segments).toEqual([
      { text: 'Create a ', highlight: false },
      { text: 'Passkey', highlight: true },
      { text: ', then ', highlight: false },
      { text: 'passkeys', highlight: true },
      { text: ' sync.', highlight: false },
    ]);
  });

  it('escapes every piece of text and writes only <mark>', () => {
    const html = segmentsToHtml(highlightWords('<b>code</b> & "quotes"', (w) => w === 'code'));
    expect(html).toBe('&lt;b&gt;<mark>code</mark>&lt;/b&gt; &amp; &quot;quotes&quot;');
  });

  it('crops long text around the first match with ellipses', () => {
    const text = Array.from({ length: 100 }, (_, i) => (i === 60 ? 'target' : `w${i}`)).join(' ');
    const cropped = cropAroundFirstMatch(highlightWords(text, (w) => w === 'target'), 20);
    const plain = plainText(cropped);
    expect(plain.startsWith('… ')).toBe(true);
    expect(plain.endsWith(' …')).toBe(true);
    expect(plain).toContain('target');
    expect(plain.replace(/…/g, '').trim().split(/\s+/)).toHaveLength(20);
    expect(cropped.filter((s) => s.highlight).map((s) => s.text)).toEqual(['target']);
  });

  it('keeps short text whole', () => {
    const segments = highlightWords('short text', () => false);
    expect(cropAroundFirstMatch(segments, 30)).toEqual(segments);
  });
});

describe('spelling correction', () => {
  const corrector = new SpellingCorrector(['passkey passkeys authenticator recovery withdrawal code 50162', 'passkey']);

  it.each([
    ['pasky', 'passkey'],
    ['pasky error', 'passkey error'],
    ['authentcator', 'authenticator'],
    ['recovry', 'recovery'],
  ])('corrects %s to %s', (query, expected) => {
    expect(corrector.correct(query)).toBe(expected);
  });

  it.each(['passkey', 'passk', '50163', 'how do i', 'qzxwvkjh'])('leaves "%s" alone', (query) => {
    expect(corrector.correct(query)).toBeUndefined();
  });

  it.each([
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1],
    ['passkey', 'passkey', 0],
    ['pasky', 'passkey', 2],
  ])('edit distance %s → %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});
