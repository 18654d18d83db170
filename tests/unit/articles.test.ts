import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArticleError, checkCorpus, loadArticles, parseArticle, topIssues } from '@/lib/help/articles';
import { CATEGORIES } from '@/lib/help/categories';

const valid = `---
title: "Reset your authenticator"
slug: reset-authenticator
category: faq
tags: [authenticator]
summary: "How to reset an authenticator app you no longer have."
published: 2025-02-18
updated: 2026-03-02
related: []
---

Body with a [link](/articles/reset-authenticator).
`;

describe('article front matter', () => {
  it('parses a valid article', () => {
    const article = parseArticle('reset-authenticator.md', valid);
    expect(article).toMatchObject({ slug: 'reset-authenticator', category: 'faq', published: '2025-02-18', updated: '2026-03-02' });
    expect(article.text).toBe('Body with a link.');
  });

  it.each([
    ['category: faq', 'category: blog', /reset-authenticator\.md: category/],
    ['updated: 2026-03-02', 'updated: 2024-01-01', /reset-authenticator\.md: updated must not be before published/],
    ['published: 2025-02-18', 'published: 18/02/2025', /published must be a date/],
    ['summary: "How to reset an authenticator app you no longer have."', 'summary: ""', /summary/],
    ['title: "Reset your authenticator"\n', '', /title/],
    ['related: []', 'related: []\nauthor: me', /Unrecognized key/i],
  ])('names the file and field when %s becomes %s', (from, to, message) => {
    expect(() => parseArticle('reset-authenticator.md', valid.replace(from, to))).toThrow(message);
  });

  it('requires the slug to match the file name and the front matter to exist', () => {
    expect(() => parseArticle('other-name.md', valid)).toThrow(/other-name\.md: slug must match the file name/);
    expect(() => parseArticle('x.md', 'no front matter')).toThrow(ArticleError);
  });

  it('rejects links and related slugs that lead nowhere', () => {
    const a = parseArticle('reset-authenticator.md', valid.replace('/articles/reset-authenticator', '/articles/missing-page'));
    expect(() => checkCorpus([a])).toThrow(/link to \/articles\/missing-page leads nowhere/);
    const b = parseArticle('reset-authenticator.md', valid.replace('related: []', 'related: [gone]'));
    expect(() => checkCorpus([b])).toThrow(/related "gone" does not exist/);
  });
});

describe('top issues', () => {
  const withTop = (slug: string, top: string) => parseArticle(`${slug}.md`, valid.replace('reset-authenticator', slug).replace('related: []', `related: []\ntop: ${top}`));

  it('lists promoted articles in their order and leaves the rest out', () => {
    const list = topIssues([withTop('second', '2'), parseArticle('reset-authenticator.md', valid), withTop('first', '1')]);
    expect(list.map((a) => a.slug)).toEqual(['first', 'second']);
  });

  it.each(['0', '1.5', 'first', '21'])('refuses top: %s', (top) => {
    expect(() => withTop('x', top)).toThrow(/x\.md: top/);
  });

  it('refuses two articles at the same position', () => {
    expect(() => checkCorpus([withTop('one', '1'), withTop('two', '1')])).toThrow(/two\.md: top 1 is already taken by one\.md/);
  });

  it('promotes the questions people ask most on the shipped home page', () => {
    const shipped = topIssues(loadArticles(path.resolve(import.meta.dirname, '../../content')).articles).map((a) => a.slug);
    expect(shipped.slice(0, 2)).toEqual(['sms-code-not-received', 'can-not-sign-in-recovery-options']);
    expect(shipped).toContain('forgot-password');
  });
});

describe('the shipped corpus', () => {
  const library = loadArticles(path.resolve(import.meta.dirname, '../../content'));

  it('has 40+ valid articles in every category', () => {
    expect(library.articles.length).toBeGreaterThanOrEqual(40);
    for (const category of CATEGORIES) expect(library.articles.some((a) => a.category === category)).toBe(true);
  });

  it('covers the error codes people search for', () => {
    expect(library.bySlug.get('fix-passkey-error-50162-android')?.text).toContain('50162');
    expect(library.bySlug.get('fix-api-error-50110')?.text).toContain('50110');
  });
});
