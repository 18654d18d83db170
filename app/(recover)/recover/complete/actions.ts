'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { runAction, type ActionResult } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { linkTokenForm } from '@/lib/forms/recovery';
import { requestNow } from '@/lib/http/request';
import { beginTicketCompletion, describeTicketCompletion } from '@/lib/recovery/ticket-reset';
import { maskEmail } from '@/lib/verification/identifiers';
import { currentLinkBrowserKey, rememberLinkBrowserKey, rememberReset, requestContext } from '../context';

export type LinkState =
  | { state: 'ready' | 'resumable'; lostFactor: 'passkey' | 'authenticator' | 'phone' | 'email'; suggestedEmail: string | undefined }
  | { state: 'refused'; reason: 'invalid' | 'expired' | 'used' | 'other_browser' | 'unchecked'; message: string };

/**
 * What the link in the fragment will set up in this browser, or why it can't be used here. Changes
 * nothing: mail scanners that run scripts may call it too.
 */
export async function describeLinkAction(token: string): Promise<LinkState> {
  const jar = await cookies();
  const view = await describeTicketCompletion(
    { db: getPrisma(), hmacKey: getConfig().hmacKey, now: requestNow(jar) },
    { token: String(token).slice(0, 128), browserKey: await currentLinkBrowserKey() },
  );
  if (view.state === 'refused') return { state: 'refused', reason: view.reason, message: view.message };
  // The address is shown masked before Continue; the binding step prefills it in full.
  return { state: view.state, lostFactor: view.lostFactor, suggestedEmail: view.suggestedEmail ? maskEmail(view.suggestedEmail) : undefined };
}

export async function completeTicketAction(_previous: ActionResult<null> | undefined, form: FormData): Promise<ActionResult<null>> {
  const result = await runAction(async () => {
    const jar = await cookies();
    const now = requestNow(jar);
    const opened = await beginTicketCompletion(
      { db: getPrisma(), hmacKey: getConfig().hmacKey, now },
      { token: parseForm(linkTokenForm, form).token, browserKey: await currentLinkBrowserKey(), ip: (await requestContext()).ip },
    );
    await rememberLinkBrowserKey(opened.browserKey, opened.linkExpiresAt, now);
    await rememberReset(opened.resetToken);
    return null;
  }, { action: 'recover.complete' });
  if (result.ok) redirect('/recover/reset');
  return result;
}
