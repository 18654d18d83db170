'use server';

import { CredentialsSignin } from 'next-auth';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { runAction } from '@/lib/errors';
import { safeParseForm } from '@/lib/forms';
import { agentSignInForm } from '@/lib/forms/sign-in';
import { clientIp, requestNow } from '@/lib/http/request';
import { signIn, SignInRefused } from '@/lib/sessions/auth';
import { passkeySignInOptions } from '@/lib/sessions/sign-in';

export type AgentSignInState = { message: string } | undefined;

const refusal = (error: unknown, fallback: string): AgentSignInState => {
  if (error instanceof SignInRefused) return { message: error.userMessage };
  if (error instanceof CredentialsSignin) return { message: fallback };
  throw error;
};

export async function agentSignInAction(_previous: AgentSignInState, form: FormData): Promise<AgentSignInState> {
  const input = safeParseForm(agentSignInForm, form);
  // A form that is not text fields gets the same one refusal as wrong credentials.
  if (!input.success) return { message: 'The email, password or code is not right.' };
  try {
    await signIn('agent-password', { ...input.data, redirect: false });
  } catch (error) {
    return refusal(error, 'The email, password or code is not right.');
  }
  redirect('/console');
}

export async function agentPasskeyOptionsAction() {
  return runAction(
    async () => passkeySignInOptions({ db: getPrisma(), rp: getConfig().webauthn }, { ip: clientIp(await headers()), now: requestNow(await cookies()) }),
    { action: 'console.passkey_options' },
  );
}

export async function agentPasskeySignInAction(response: string): Promise<AgentSignInState> {
  try {
    await signIn('agent-passkey', { response, redirect: false });
  } catch (error) {
    return refusal(error, "That passkey didn't work. Try again, or use your password.");
  }
  redirect('/console');
}
