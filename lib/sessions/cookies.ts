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

/**
 * The emailed-code sign-in in progress: which challenge this browser is answering, and the masked
 * address it was sent to. HttpOnly, so the page's scripts never hold the challenge id; it lives as
 * long as the code does.
 */
export const CODE_SIGN_IN_COOKIE = 'regain.signin-code';

export type PendingCodeSignIn = { challengeId: string; sentTo: string; expiresAt: string };

export function codeSignInCookie(pending: PendingCodeSignIn, secure: boolean) {
  return {
    name: CODE_SIGN_IN_COOKIE,
    value: Buffer.from(JSON.stringify(pending)).toString('base64url'),
    options: { httpOnly: true, sameSite: 'lax' as const, path: '/', secure, maxAge: Math.max(0, Math.floor((Date.parse(pending.expiresAt) - Date.now()) / 1000)) },
  };
}

export function readCodeSignInCookie(value: string | undefined): PendingCodeSignIn | undefined {
  if (!value || value.length > 1000) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<PendingCodeSignIn>;
    if (typeof parsed.challengeId !== 'string' || typeof parsed.sentTo !== 'string' || typeof parsed.expiresAt !== 'string') return undefined;
    return { challengeId: parsed.challengeId, sentTo: parsed.sentTo, expiresAt: parsed.expiresAt };
  } catch {
    return undefined;
  }
}
