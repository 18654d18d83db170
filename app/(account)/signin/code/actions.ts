'use server';

import { CredentialsSignin } from 'next-auth';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { after } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { runAction, type ActionResult } from '@/lib/errors';
import { parseForm, safeParseForm } from '@/lib/forms';
import { codeSignInForm, emailCodeForm } from '@/lib/forms/sign-in';
import { clientIp, requestNow } from '@/lib/http/request';
import { signIn, SignInRefused } from '@/lib/sessions/auth';
import { startCodeSignIn } from '@/lib/sessions/code-sign-in';
import { CODE_SIGN_IN_COOKIE, codeSignInCookie } from '@/lib/sessions/cookies';

export type CodeSignInState = ActionResult<unknown> | { ok: false; message: string } | undefined;

/** Email + password: the same answer whatever was typed; a code goes out only when it may (lib/sessions/code-sign-in). */
export async function startCodeSignInAction(_previous: CodeSignInState, form: FormData): Promise<CodeSignInState> {
  const result = await runAction(
    async () => {
      const { email, password } = parseForm(codeSignInForm, form);
      const [headerList, jar] = await Promise.all([headers(), cookies()]);
      const config = getConfig();
      const started = await startCodeSignIn(
        { db: getPrisma(), hmacKey: config.hmacKey, encryptionKey: config.encryptionKey, rp: config.webauthn, delivery: getDelivery(), schedule: (work) => after(work) },
        { email, password, ip: clientIp(headerList), userAgent: headerList.get('user-agent'), now: requestNow(jar) },
      );
      const cookie = codeSignInCookie({ challengeId: started.challengeId, sentTo: started.sentTo, expiresAt: started.expiresAt }, config.isProduction);
      jar.set(cookie.name, cookie.value, cookie.options);
    },
    { action: 'signin.code.start' },
  );
  if (result.ok) redirect('/signin/code');
  return result;
}

/** The emailed code, through Auth.js, which opens the session (the challenge id comes from the cookie). */
export async function finishCodeSignInAction(_previous: CodeSignInState, form: FormData): Promise<CodeSignInState> {
  const input = safeParseForm(emailCodeForm, form);
  if (!input.success) return { ok: false, message: 'Enter the 6-digit code from the email.' };
  try {
    await signIn('email-code', { code: input.data.code, redirect: false });
  } catch (error) {
    if (error instanceof SignInRefused) return { ok: false, message: error.userMessage };
    if (error instanceof CredentialsSignin) return { ok: false, message: 'That code is not right.' };
    throw error;
  }
  (await cookies()).delete(CODE_SIGN_IN_COOKIE);
  redirect('/account/security?signedInWith=code');
}

/** "Use a different email": forget the code this browser was waiting for. */
export async function restartCodeSignInAction() {
  (await cookies()).delete(CODE_SIGN_IN_COOKIE);
  redirect('/signin/code');
}
