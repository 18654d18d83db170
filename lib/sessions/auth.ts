import NextAuth, { CredentialsSignin } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { cookies, headers } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { clientIp } from '@/lib/http/request';
import { DEVICE_COOKIE } from './devices';
import { signInWithPassword, USER_SESSION_DAYS, validateSession } from './sign-in';

/**
 * Auth.js glue: JWT sessions that are revocable because every request re-checks the session row
 * (validateSession), a __Host- cookie in production (security.md rule 15), and a Credentials
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
    cookies: {
      sessionToken: { name: secure ? '__Host-regain.session' : 'regain.session', options: { httpOnly: true, sameSite: 'lax', path: '/', secure } },
    },
    pages: { signIn: '/signin' },
    providers: [
      Credentials({
        id: 'password',
        credentials: { email: {}, password: {}, code: {} },
        async authorize(credentials) {
          const [headerList, jar] = await Promise.all([headers(), cookies()]);
          try {
            const result = await signInWithPassword(
              { db: getPrisma(), hmacKey: config.hmacKey, encryptionKey: config.encryptionKey },
              {
                email: String(credentials.email ?? ''),
                password: String(credentials.password ?? ''),
                code: String(credentials.code ?? ''),
                ip: clientIp(headerList),
                userAgent: headerList.get('user-agent'),
                deviceToken: jar.get(DEVICE_COOKIE)?.value,
                now: new Date(),
              },
            );
            // This browser becomes a trusted device of the account (it can approve recoveries).
            if (result.newDeviceToken) {
              jar.set(DEVICE_COOKIE, result.newDeviceToken, { httpOnly: true, sameSite: 'lax', path: '/', secure, maxAge: 400 * 86_400 });
            }
            return { id: result.userId, sessionId: result.sessionId, sessionVersion: result.sessionVersion };
          } catch (error) {
            if (error instanceof AppError) throw new SignInRefused(error.userMessage, error.retryAfterSeconds);
            throw error;
          }
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          const fresh = user as { id: string; sessionId: string; sessionVersion: number };
          return { sub: fresh.id, sid: fresh.sessionId, sv: fresh.sessionVersion };
        }
        const valid = await validateSession(getPrisma(), { sessionId: String(token.sid ?? ''), sessionVersion: Number(token.sv ?? -1) }, new Date());
        return valid && valid.userId === token.sub ? token : null;
      },
      session({ session, token }) {
        return { ...session, userId: String(token.sub), sessionId: String(token.sid) };
      },
    },
  };
});

export { SignInRefused };

/** The signed-in account holder for this request, re-validated; undefined when signed out. */
export async function currentUser(): Promise<{ userId: string; sessionId: string } | undefined> {
  const session = (await auth()) as { userId?: string; sessionId?: string } | null;
  return session?.userId && session.sessionId ? { userId: session.userId, sessionId: session.sessionId } : undefined;
}
