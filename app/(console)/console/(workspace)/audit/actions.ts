'use server';

import { type AnchorView, anchorAuditLog, type ChainVerification, verifyAuditLogChain } from '@/lib/audit/console';
import { getPrisma } from '@/lib/db/client';
import { type ActionResult, runAction } from '@/lib/errors';
import { consoleRequest } from './context';

export type VerifyState = ActionResult<ChainVerification> | undefined;

/**
 * Recomputes the audit hash chain. The outcome travels back in the action's answer, never in the
 * URL, so nobody can link a colleague to a fake "Chain intact".
 */
export async function verifyChainAction(_previous: VerifyState): Promise<VerifyState> {
  return runAction(async () => {
    const { actor, now } = await consoleRequest();
    return verifyAuditLogChain({ db: getPrisma(), actor, now });
  }, { action: 'audit.verify' });
}

export type AnchorState = ActionResult<AnchorView & { headHash: string }> | undefined;

/** Pins the chain's head now and sends it to the host (supervisors and admins; checked in lib). */
export async function anchorChainAction(_previous: AnchorState): Promise<AnchorState> {
  return runAction(async () => {
    const { actor, now } = await consoleRequest();
    return anchorAuditLog({ db: getPrisma(), actor, now });
  }, { action: 'audit.anchor' });
}
