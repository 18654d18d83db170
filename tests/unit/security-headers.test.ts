import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isPrivatePath } from '@/lib/http/security-headers';

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
