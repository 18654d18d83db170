import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NextRequest } from 'next/server';
import { afterAll, describe, expect, it } from 'vitest';
import { prerenderedPages } from '@/lib/http/prerendered-pages';
import {
  API_CONTENT_SECURITY_POLICY,
  contentSecurityPolicy,
  contentSecurityPolicyFor,
  DOCUMENT_CONTENT_SECURITY_POLICY,
  isPrivatePath,
  prerenderedPagePolicy,
  scriptHashes,
} from '@/lib/http/security-headers';

const scriptSrc = (csp: string) => csp.split('; ').find((d) => d.startsWith('script-src'));
const sha256 = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

describe('content security policy of a page rendered per request', () => {
  it('allows scripts only with the request nonce and forbids framing', () => {
    const csp = contentSecurityPolicy('abc123', { development: false });
    expect(scriptSrc(csp)).toBe("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain('upgrade-insecure-requests');
  });

  it("adds 'unsafe-eval' only for the development server", () => {
    expect(contentSecurityPolicy('n', { development: true })).toContain("'unsafe-eval'");
    expect(contentSecurityPolicy('n', { development: false })).not.toContain("'unsafe-eval'");
  });
});

describe('content security policy of a prerendered page', () => {
  const hashes = [sha256('self.__next_f.push([0])'), sha256('self.__next_f.push([1,"x"])')];

  it('lists the hashes of its scripts, with no nonce and nothing inline allowed wholesale', () => {
    const csp = prerenderedPagePolicy(hashes, { development: false });
    expect(scriptSrc(csp)).toBe(`script-src 'self' '${hashes[0]}' '${hashes[1]}'`);
    expect(csp).not.toContain('nonce-');
    expect(scriptSrc(csp)).not.toMatch(/'unsafe-(inline|eval|hashes)'/);
  });

  it('keeps every other directive of the nonce policy', () => {
    const others = (csp: string) => csp.split('; ').filter((d) => !d.startsWith('script-src'));
    expect(others(prerenderedPagePolicy(hashes, { development: false }))).toEqual(others(contentSecurityPolicy('n', { development: false })));
  });

  it('also accepts a nonce where the answer may be rendered per request instead', () => {
    expect(scriptSrc(prerenderedPagePolicy(hashes, { development: false, nonce: 'n0' }))).toBe(`script-src 'self' 'nonce-n0' '${hashes[0]}' '${hashes[1]}'`);
  });
});

describe('script hashes of an HTML document', () => {
  it('hashes each inline script exactly as written and takes the integrity of script files', () => {
    const inline = '(self.__next_f=self.__next_f||[]).push([0])';
    const withEntities = 'self.__next_f.push([1,"<p>&amp; \\u003c</p>"])';
    const html = [
      '<html><head>',
      '<script src="/_next/static/chunks/a.js" async="" integrity="sha256-AAAA+/="></script>',
      '<script src="/_next/static/chunks/b.js" async=""></script>',
      `<script>${inline}</script>`,
      '<script type="application/ld+json">{"@context":"https://schema.org"}</script>',
      `</head><body><script id="_R_">${withEntities}</script>`,
      `<script>${inline}</script>`,
      '</body></html>',
    ].join('');
    expect(scriptHashes(html)).toEqual(['sha256-AAAA+/=', sha256(inline), sha256(withEntities)]);
  });

  it('finds nothing to allow in a document without scripts', () => {
    expect(scriptHashes('<p>no scripts</p>')).toEqual([]);
  });
});

describe('prerendered pages of a build', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'regain-prerendered-'));
  afterAll(() => rmSync(dist, { recursive: true, force: true }));
  mkdirSync(path.join(dist, 'server', 'app', 'articles'), { recursive: true });
  writeFileSync(path.join(dist, 'prerender-manifest.json'), JSON.stringify({ routes: { '/': {}, '/articles/what-is-a-passkey': {} } }));
  writeFileSync(path.join(dist, 'server', 'app', 'index.html'), '<script>home()</script>');
  writeFileSync(path.join(dist, 'server', 'app', 'articles', 'what-is-a-passkey.html'), '<script>article()</script>');
  writeFileSync(path.join(dist, 'server', 'app', 'secret.html'), '<script>not a route()</script>');

  it('gives the hashes of the file next start serves for a prerendered address', () => {
    const pages = prerenderedPages(dist);
    expect(pages.scriptHashes('/')).toEqual([sha256('home()')]);
    expect(pages.scriptHashes('/articles/what-is-a-passkey')).toEqual([sha256('article()')]);
  });

  it('reads only files the build lists, whatever the address', () => {
    const pages = prerenderedPages(dist);
    for (const address of ['/secret', '/articles/../secret', '/articles/other', '/account/security']) expect(pages.scriptHashes(address)).toBeUndefined();
  });

  it('knows no page without a production build', () => {
    expect(prerenderedPages(path.join(dist, 'missing')).scriptHashes('/')).toBeUndefined();
  });
});

describe('private paths (Cache-Control: no-store)', () => {
  it.each([
    ['/account/security', true],
    ['/console', true],
    ['/recover/status', true],
    ['/api/v1/holds', true],
    ['/accounting-help', false],
    ['/articles/what-is-a-passkey', false],
    ['/', false],
  ])('%s → %s', (path, expected) => {
    expect(isPrivatePath(path)).toBe(expected);
  });
});

describe('the proxy', () => {
  it('sends an old category link to its page', async () => {
    const { proxy } = await import('@/proxy');
    const response = proxy(new NextRequest('http://localhost/?category=faq'));
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('http://localhost/categories/faq');
    expect(proxy(new NextRequest('http://localhost/?category=all')).headers.get('location')).toBe('http://localhost/');
  });

  it('gives a JSON answer a policy that allows nothing, no nonce, and no-store; Auth.js pages keep the nonce', async () => {
    const { proxy } = await import('@/proxy');
    for (const path of ['/api/search', '/api/help/articles/rename-passkey/visit', '/api/v1/accounts/x/hold']) {
      const response = proxy(new NextRequest(`http://localhost${path}`));
      expect(response.headers.get('content-security-policy')).toBe(API_CONTENT_SECURITY_POLICY);
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    expect(API_CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(API_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(proxy(new NextRequest('http://localhost/api/auth/signin')).headers.get('content-security-policy')).toMatch(/'nonce-[^']+' 'strict-dynamic'/);
  });

  it('gives private pages a fresh nonce each time, never cached', async () => {
    const { proxy } = await import('@/proxy');
    const first = proxy(new NextRequest('http://localhost/account/security'));
    const second = proxy(new NextRequest('http://localhost/account/security'));
    expect(first.headers.get('content-security-policy')).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
    expect(first.headers.get('content-security-policy')).not.toBe(second.headers.get('content-security-policy'));
    expect(first.headers.get('cache-control')).toBe('no-store');
  });
});

describe('a document download keeps its own sandbox policy (docs/security.md rules 19 and 29)', () => {
  const documentPath = '/console/tickets/0193a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b/documents/0193a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c';

  it('the proxy answers a document path with the sandbox policy, not the page policy', async () => {
    // The proxy's header replaces the route handler's, so it is what the browser gets.
    const { proxy } = await import('@/proxy');
    const response = proxy(new NextRequest(`http://localhost${documentPath}`));
    const csp = response.headers.get('content-security-policy');
    expect(csp).toBe(DOCUMENT_CONTENT_SECURITY_POLICY);
    expect(csp).toContain('sandbox');
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('nonce-');
    expect(response.headers.get('cache-control')).toBe('no-store');

    // Every other page, the ticket page around the document included, keeps the nonce policy.
    for (const path of ['/console/tickets/0193a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b', '/recover/documents', '/console/tickets/x/documents/y/extra']) {
      const page = proxy(new NextRequest(`http://localhost${path}`)).headers.get('content-security-policy');
      expect(page).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
      expect(page).not.toContain('sandbox');
    }
  });

  it('the header function picks the policy by path', () => {
    expect(contentSecurityPolicyFor(documentPath, 'n', { development: false })).toBe(DOCUMENT_CONTENT_SECURITY_POLICY);
    expect(contentSecurityPolicyFor(`${documentPath}/`, 'n', { development: false })).toBe(DOCUMENT_CONTENT_SECURITY_POLICY);
    expect(contentSecurityPolicyFor('/console', 'n', { development: false })).toBe(contentSecurityPolicy('n', { development: false }));
  });
});
