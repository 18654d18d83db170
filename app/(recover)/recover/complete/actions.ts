'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { runAction, type ActionResult } from '@/lib/errors';
import { requestNow } from '@/lib/http/request';
import { RESET_TTL_SECONDS } from '@/lib/recovery/resets';
import { beginTicketCompletion } from '@/lib/recovery/ticket-reset';
import { RESET_COOKIE, requestContext } from '../context';

export async function completeTicketAction(_previous: ActionResult<null> | undefined, form: FormData): Promise<ActionResult<null>> {
  const result = await runAction(async () => {
    const jar = await cookies();
    const { resetId } = await beginTicketCompletion(
      { db: getPrisma(), hmacKey: getConfig().hmacKey, now: requestNow(jar) },
      { token: String(form.get('token') ?? ''), ip: (await requestContext()).ip },
    );
    jar.set(RESET_COOKIE, resetId, { httpOnly: true, sameSite: 'lax', secure: getConfig().isProduction, path: '/recover', maxAge: RESET_TTL_SECONDS });
    return null;
  }, { action: 'recover.complete' });
  if (result.ok) redirect('/recover/reset');
  return result;
}
