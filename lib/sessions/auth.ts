import NextAuth, { CredentialsSignin } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { cookies, headers } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { AppError } from '@/lib/errors';
import { clientIp, requestNow } from '@/lib/http/request';
import { log } from '@/lib/log';
import { loadAgent } from '@/lib/access';
import { type AgentSignedIn, signInAgentWithPasskey, signInAgentWithPassword } from './agent-sign-in';
import { finishCodeSignIn } from './code-sign-in';
import { authCookies, CODE_SIGN_IN_COOKIE, readCodeSignInCookie } from './cookies';
import { DEVICE_COOKIE } from './devices';
import { type SignedIn, type SignInDeps, signInWithPasskey, signInWithPassword, stepUp, USER_SESSION_DAYS, validateSession } from './sign-in';

/**
 * Auth.js glue: JWT sessions that are revocable because every request re-checks the session row
 * (validateSession), a __Host- cookie in production (docs/security.md rule 15), and a Credentials
 * provider backed by lib/sessions. Passkey sign-in joins as a second provider.
 */
class SignInRefused extends CredentialsSignin {
  constructor(readonly userMessage: string, readonly retryAfterSeconds?: number) {
    super(userMessage);
  }
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => {
  const config = getConfig();
  const secure = config.isProduction;
  return {
    secret: config.authSecret,
    trustHost: true,
    session: { strategy: 'jwt', maxAge: USER_SESSION_DAYS * 86_400 },
    useSecureCookies: secure,
    cookies: authCookies(secure),
    pages: { signIn: '/signin' },
    // A refused sign-in is an expected outcome (already recorded as a SignInEvent), not an error
    // with a stack trace; everything else goes to our structured log.
    logger: {
      error(error) {
        if (error instanceof CredentialsSignin || (error as { type?: string }).type === 'CredentialsSignin') return;
        log.error('auth_error', { error });
      },
      warn(code) {
        log.warn('auth_warning', { code });
      },
      debug() {},
    },
    providers: [
      Credentials({
        id: 'password',
        credentials: { email: {}, password: {}, code: {}, recoveryCode: {}, passkeyResponse: {} },
        authorize: (credentials) =>
          authorizeWith((deps, request) => {
            const passkey = parsePasskeyResponse(credentials.passkeyResponse);
            const recoveryCode = typeof credentials.recoveryCode === 'string' && credentials.recoveryCode !== '' ? credentials.recoveryCode.slice(0, 64) : undefined;
            return signInWithPassword(deps, {
              ...request,
              email: String(credentials.email ?? ''),
              password: String(credentials.password ?? ''),
              secondFactor:
                passkey !== undefined
                  ? { kind: 'passkey', response: passkey }
                  : recoveryCode !== undefined
                    ? { kind: 'recovery_code', code: recoveryCode }
                    : { kind: 'totp', code: String(credentials.code ?? '') },
            });
          }),
      }),
      Credentials({
        id: 'passkey',
        credentials: { response: {} },
        authorize: (credentials) => authorizeWith((deps, request) => signInWithPasskey(deps, { ...request, response: parsePasskeyResponse(credentials.response) ?? null })),
      }),
      Credentials({
        // Password + emailed code, for accounts without an app or passkey (lib/sessions/code-sign-in).
        // The challenge id comes from this browser's HttpOnly cookie, never from the form.
        id: 'email-code',
        credentials: { code: {} },
        authorize: (credentials) =>
          authorizeWith(async (deps, request) => {
            const pending = readCodeSignInCookie((await cookies()).get(CODE_SIGN_IN_COOKIE)?.value);
            if (!pending) throw new AppError({ code: 'conflict', userMessage: 'This code has expired. Start again to get a new code.' });
            return finishCodeSignIn(deps, { ...request, challengeId: pending.challengeId, code: String(credentials.code ?? '') });
          }),
      }),
      Credentials({
        id: 'agent-password',
        credentials: { email: {}, password: {}, code: {}, passkeyResponse: {} },
        authorize: (credentials) =>
          authorizeWith((deps, request) => {
            const passkey = parsePasskeyResponse(credentials.passkeyResponse);
            return signInAgentWithPassword(deps, {
              ...request,
              email: String(credentials.email ?? ''),
              password: String(credentials.password ?? ''),
              secondFactor: passkey !== undefined ? { kind: 'passkey', response: passkey } : { kind: 'totp', code: String(credentials.code ?? '') },
            });
          }),
      }),
      Credentials({
        id: 'agent-passkey',
        credentials: { response: {} },
        authorize: (credentials) => authorizeWith((deps, request) => signInAgentWithPasskey(deps, { ...request, response: parsePasskeyResponse(credentials.response) ?? null })),
      }),
      Credentials({
        // Step-up for the signed-in person: same account, new session id, fresh authentication time.
        id: 'step-up',
        credentials: { code: {}, passkeyResponse: {} },
        authorize: (credentials) =>
          authorizeWith(async (deps, request) => {
            const user = await currentUser();
            if (!user) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Please sign in again.' });
            const passkey = parsePasskeyResponse(credentials.passkeyResponse);
            return stepUp(deps, {
              ...request,
              ...user,
              factor: passkey !== undefined ? { kind: 'passkey', response: passkey } : { kind: 'totp', code: String(credentials.code ?? '') },
            });
          }),
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          const fresh = user as { id: string; sessionId: string; sessionVersion: number; kind: 'user' | 'agent' };
          return { sub: fresh.id, sid: fresh.sessionId, sv: fresh.sessionVersion, k: fresh.kind };
        }
        const valid = await validateSession(getPrisma(), { sessionId: String(token.sid ?? ''), sessionVersion: Number(token.sv ?? -1) }, new Date());
        if (!valid || valid.kind !== (token.k ?? 'user')) return null;
        return (valid.kind === 'user' ? valid.userId : valid.agentId) === token.sub ? token : null;
      },
      session({ session, token }) {
        const id = String(token.sub);
        return { ...session, sessionId: String(token.sid), ...(token.k === 'agent' ? { agentId: id } : { userId: id }) };
      },
    },
  };
});

export { SignInRefused };

/** The passkey response arrives as the JSON string the browser produced; anything else is no response. */
function parsePasskeyResponse(value: unknown): unknown {
  if (typeof value !== 'string' || value === '' || value.length > 20_000) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

type RequestInfo = { ip: string; userAgent: string | null; deviceToken: string | undefined; now: Date };

/** Runs one sign-in use case with this request's details and turns its refusal into Auth.js's. */
async function authorizeWith(work: (deps: SignInDeps, request: RequestInfo) => Promise<SignedIn | AgentSignedIn>) {
  const config = getConfig();
  const [headerList, jar] = await Promise.all([headers(), cookies()]);
  try {
    const result = await work(
      { db: getPrisma(), hmacKey: config.hmacKey, encryptionKey: config.encryptionKey, rp: config.webauthn, delivery: getDelivery() },
      { ip: clientIp(headerList), userAgent: headerList.get('user-agent'), deviceToken: jar.get(DEVICE_COOKIE)?.value, now: requestNow(jar) },
    );
    if ('agentId' in result) return { id: result.agentId, sessionId: result.sessionId, sessionVersion: result.sessionVersion, kind: 'agent' as const };
    // This browser becomes a trusted device of the account (it can approve recoveries).
    if (result.newDeviceToken) {
      jar.set(DEVICE_COOKIE, result.newDeviceToken, { httpOnly: true, sameSite: 'lax', path: '/', secure: config.isProduction, maxAge: 400 * 86_400 });
    }
    return { id: result.userId, sessionId: result.sessionId, sessionVersion: result.sessionVersion, kind: 'user' as const };
  } catch (error) {
    if (error instanceof AppError) throw new SignInRefused(error.userMessage, error.retryAfterSeconds);
    throw error;
  }
}

/**
 * Who this browser is signed in as, for the header: an account holder or an agent, re-validated.
 * A visitor without a session cookie costs nothing (no database read).
 */
export async function signedInAs(): Promise<'user' | 'agent' | undefined> {
  const jar = await cookies();
  if (!jar.has('__Host-regain.session') && !jar.has('regain.session')) return undefined;
  const session = (await auth()) as { userId?: string; agentId?: string; sessionId?: string } | null;
  if (!session?.sessionId) return undefined;
  return session.agentId ? 'agent' : session.userId ? 'user' : undefined;
}

/** The signed-in account holder for this request, re-validated; undefined when signed out. */
export async function currentUser(): Promise<{ userId: string; sessionId: string } | undefined> {
  const session = (await auth()) as { userId?: string; sessionId?: string } | null;
  return session?.userId && session.sessionId ? { userId: session.userId, sessionId: session.sessionId } : undefined;
}

/** The signed-in agent for this request (console), re-validated, with their current role. */
export async function currentAgent(): Promise<{ agentId: string; sessionId: string; name: string; email: string; role: 'AGENT' | 'SUPERVISOR' | 'ADMIN' } | undefined> {
  const session = (await auth()) as { agentId?: string; sessionId?: string } | null;
  if (!session?.agentId || !session.sessionId) return undefined;
  const agent = await loadAgent(getPrisma(), session.agentId);
  return agent ? { agentId: agent.id, sessionId: session.sessionId, name: agent.name, email: agent.email, role: agent.role } : undefined;
}
