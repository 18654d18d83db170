'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { runAction, type ActionResult } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { linkTokenForm } from '@/lib/forms/recovery';
import { requestNow } from '@/lib/http/request';
import { beginTicketCompletion } from '@/lib/recovery/ticket-reset';
import { rememberReset, requestContext } from '../context';

export async function completeTicketAction(_previous: ActionResult<null> | undefined, form: FormData): Promise<ActionResult<null>> {
  const result = await runAction(async () => {
    const jar = await cookies();
    const { resetToken } = await beginTicketCompletion(
      { db: getPrisma(), hmacKey: getConfig().hmacKey, now: requestNow(jar) },
      { token: parseForm(linkTokenForm, form).token, ip: (await requestContext()).ip },
    );
    await rememberReset(resetToken);
    return null;
  }, { action: 'recover.complete' });
  if (result.ok) redirect('/recover/reset');
  return result;
}
