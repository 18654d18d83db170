'use server';

import { CredentialsSignin } from 'next-auth';
import { redirect } from 'next/navigation';
import { signIn, SignInRefused } from '@/lib/sessions/auth';

export type SignInState = { message: string } | undefined;

export async function signInAction(_previous: SignInState, form: FormData): Promise<SignInState> {
  try {
    await signIn('password', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      code: String(form.get('code') ?? ''),
      redirect: false,
    });
  } catch (error) {
    if (error instanceof SignInRefused) return { message: error.userMessage };
    if (error instanceof CredentialsSignin) return { message: 'The email, password or code is not right.' };
    throw error;
  }
  redirect('/account/security');
}
