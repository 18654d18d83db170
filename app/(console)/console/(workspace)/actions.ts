'use server';

import { redirect } from 'next/navigation';
import { getPrisma } from '@/lib/db/client';
import { currentAgent, signOut } from '@/lib/sessions/auth';
import { signOutSession } from '@/lib/sessions/sign-in';

export async function consoleSignOutAction() {
  const agent = await currentAgent();
  if (agent) await signOutSession(getPrisma(), agent.sessionId, new Date());
  await signOut({ redirect: false });
  redirect('/console/signin');
}
