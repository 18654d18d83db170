'use server';

import { redirect } from 'next/navigation';
import { getPrisma } from '@/lib/db/client';
import { currentUser, signOut } from '@/lib/sessions/auth';
import { signOutSession } from '@/lib/sessions/sign-in';

export async function signOutAction() {
  const user = await currentUser();
  if (user) await signOutSession(getPrisma(), user.sessionId, new Date());
  await signOut({ redirect: false });
  redirect('/signin');
}
