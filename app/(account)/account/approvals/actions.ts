'use server';

import { cookies, headers } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { AppError, runAction, type ActionResult } from '@/lib/errors';
import { clientIp, requestNow } from '@/lib/http/request';
import { currentUser } from '@/lib/sessions/auth';
import { DEVICE_COOKIE } from '@/lib/sessions/devices';
import { decideApproval } from '@/lib/sessions/approvals';

/** One request, one decision: approving names the number picked; denying names nothing. */
export async function decideAction(challengeId: string, choice: number | 'deny'): Promise<ActionResult<'approved' | 'denied'>> {
  return runAction(async () => {
    const user = await currentUser();
    if (!user) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Sign in again to approve.' });
    const [jar, list] = await Promise.all([cookies(), headers()]);
    return decideApproval({
      ip: clientIp(list),
      userAgent: list.get('user-agent'),
      db: getPrisma(),
      hmacKey: getConfig().hmacKey,
      approver: { userId: user.userId, sessionId: user.sessionId, deviceToken: jar.get(DEVICE_COOKIE)?.value },
      challengeId: String(challengeId),
      decision: choice === 'deny' ? { approve: false } : { approve: true, number: Number(choice) },
      now: requestNow(jar),
    });
  }, { action: 'approval.decide' });
}
