'use server';

import { CredentialsSignin } from 'next-auth';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { runAction } from '@/lib/errors';
import { safeParseForm } from '@/lib/forms';
import { accountSignInForm } from '@/lib/forms/sign-in';
import { clientIp, requestNow } from '@/lib/http/request';
import { signIn, SignInRefused } from '@/lib/sessions/auth';
import { passkeySignInOptions } from '@/lib/sessions/sign-in';

export type SignInState = { message: string } | undefined;

const refusal = (error: unknown, fallback: string): SignInState => {
  if (error instanceof SignInRefused) return { message: error.userMessage };
  if (error instanceof CredentialsSignin) return { message: fallback };
  throw error;
};

export async function signInAction(_previous: SignInState, form: FormData): Promise<SignInState> {
  const input = safeParseForm(accountSignInForm, form);
  // A form that is not text fields gets the same one refusal as wrong credentials.
  if (!input.success) return { message: 'The email, password or code is not right.' };
  try {
    // Auth.js posts these as form fields, where undefined would arrive as the text "undefined".
    await signIn('password', { ...input.data, recoveryCode: input.data.recoveryCode ?? '', redirect: false });
  } catch (error) {
    return refusal(error, 'The email, password or code is not right.');
  }
  redirect('/account/security');
}

/** Usernameless passkey options: the same for everyone, so they reveal no account (rule 13). */
export async function passkeyOptionsAction() {
  return runAction(
    async () => passkeySignInOptions({ db: getPrisma(), rp: getConfig().webauthn }, { ip: clientIp(await headers()), now: requestNow(await cookies()) }),
    { action: 'signin.passkey_options' },
  );
}

export async function passkeySignInAction(response: string): Promise<SignInState> {
  try {
    await signIn('passkey', { response, redirect: false });
  } catch (error) {
    return refusal(error, "That passkey didn't work. Try again, or sign in with your password.");
  }
  redirect('/account/security');
}
