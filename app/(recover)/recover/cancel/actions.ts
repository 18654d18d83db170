'use server';

import { cookies } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { AppError, runAction, type ActionResult } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { linkTokenForm } from '@/lib/forms/recovery';
import { requestNow } from '@/lib/http/request';
import { cancelTicketByOwner } from '@/lib/recovery/tickets';
import { requestContext } from '../context';

const REFUSED = {
  invalid: 'This link is not valid. Use the link in the newest message we sent you, or contact Support from the help center.',
  expired: 'This link has expired. If you still want to stop a recovery request, contact Support from the help center.',
  used: 'This link was already used: the request is cancelled, or another link stopped it first.',
  too_late:
    "This request can no longer be cancelled: it has already finished or been closed. Open the app and choose “Can't sign in?” to secure your account, then contact Support.",
} as const;

/** "Cancel the request": one POST spends the link (thin: lib/recovery/tickets/owner.ts does the work). */
export async function cancelTicketAction(_previous: ActionResult<{ reference: string }> | undefined, form: FormData): Promise<ActionResult<{ reference: string }>> {
  return runAction(
    async () => {
      const { ip, userAgent } = await requestContext();
      const result = await cancelTicketByOwner({ db: getPrisma(), hmacKey: getConfig().hmacKey, token: parseForm(linkTokenForm, form).token, ip, userAgent, now: requestNow(await cookies()) });
      if (result.status !== 'cancelled') throw new AppError({ code: 'conflict', userMessage: REFUSED[result.status] });
      return { reference: result.reference };
    },
    { action: 'recover.cancel' },
  );
}
