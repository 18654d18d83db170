'use server';

import { cookies } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { runAction, type ActionResult } from '@/lib/errors';
import { DEVICE_COOKIE } from '@/lib/sessions/devices';
import { decideApproval } from '@/lib/verification/approvals';

export type DecisionState = ActionResult<'approved' | 'denied'> | undefined;

export async function decideAction(challengeId: string, approve: boolean, _previous: DecisionState, _form: FormData): Promise<DecisionState> {
  return runAction(async () => {
    const deviceToken = (await cookies()).get(DEVICE_COOKIE)?.value;
    await decideApproval({ db: getPrisma(), hmacKey: getConfig().hmacKey, deviceToken, challengeId, approve, now: new Date() });
    return approve ? ('approved' as const) : ('denied' as const);
  }, { action: 'approval.decide' });
}
