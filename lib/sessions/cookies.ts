/**
 * Every cookie Auth.js sets, named and flagged by us (docs/security.md rule 15: `__Host-`, Secure in
 * production, HttpOnly, SameSite=Lax). Auth.js only prefixes its own defaults when it believes the
 * request came over https, which behind a TLS-terminating proxy it may not; naming them all here
 * makes the CSRF and callback cookies as strict as the session cookie, whatever the proxy says.
 * `__Host-` also forbids a Domain attribute, so a sibling subdomain cannot plant or read them.
 */
export type AuthCookie = { name: string; options: { httpOnly: true; sameSite: 'lax'; path: '/'; secure: boolean } };

const AUTH_COOKIES = {
  sessionToken: 'regain.session',
  csrfToken: 'regain.csrf',
  callbackUrl: 'regain.callback-url',
  pkceCodeVerifier: 'regain.pkce',
  state: 'regain.state',
  nonce: 'regain.nonce',
} as const;

export function authCookies(secure: boolean): Record<keyof typeof AUTH_COOKIES, AuthCookie> {
  return Object.fromEntries(
    Object.entries(AUTH_COOKIES).map(([key, name]) => [key, { name: secure ? `__Host-${name}` : name, options: { httpOnly: true, sameSite: 'lax', path: '/', secure } }]),
  ) as Record<keyof typeof AUTH_COOKIES, AuthCookie>;
}
