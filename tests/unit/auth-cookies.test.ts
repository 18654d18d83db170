import { describe, expect, it } from 'vitest';
import { authCookies } from '@/lib/sessions/cookies';

// docs/security.md rule 15: cookies `__Host-`, Secure (in production), HttpOnly, SameSite=Lax. Auth.js's
// CSRF and callback cookies included, not only the session cookie.
describe('Auth.js cookies', () => {
  it('in production every one, CSRF and callback included, is __Host-, Secure, HttpOnly, Lax, path /', () => {
    const cookies = authCookies(true);
    expect(Object.keys(cookies)).toEqual(expect.arrayContaining(['sessionToken', 'csrfToken', 'callbackUrl']));
    for (const cookie of Object.values(cookies)) {
      expect(cookie.name).toMatch(/^__Host-/);
      expect(cookie.options).toEqual({ httpOnly: true, sameSite: 'lax', path: '/', secure: true });
    }
    expect(cookies.sessionToken.name).toBe('__Host-regain.session');
  });

  it('on plain-http development they carry no prefix a browser would refuse there', () => {
    for (const cookie of Object.values(authCookies(false))) {
      expect(cookie.name).not.toMatch(/^__(Host|Secure)-/);
      expect(cookie.options.secure).toBe(false);
    }
  });
});
