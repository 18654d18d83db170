import { NextRequest } from 'next/server';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, contentSecurityPolicyFor, DOCUMENT_CONTENT_SECURITY_POLICY, isPrivatePath } from '@/lib/http/security-headers';

describe('content security policy', () => {
  it('allows scripts only with the request nonce and forbids framing', () => {
    const csp = contentSecurityPolicy('abc123', { development: false });
    const scriptSrc = csp.split('; ').find((d) => d.startsWith('script-src'));
    expect(scriptSrc).toBe("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain('upgrade-insecure-requests');
  });

  it("adds 'unsafe-eval' only for the development server", () => {
    expect(contentSecurityPolicy('n', { development: true })).toContain("'unsafe-eval'");
    expect(contentSecurityPolicy('n', { development: false })).not.toContain("'unsafe-eval'");
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
