import type { Db } from '@/lib/db/client';
import { isUuid } from '@/lib/db/ids';

/** Who a passkey belongs to: an account holder or an agent, never both, never neither. */
export type PasskeyOwner = { userId: string } | { agentId: string };

export type ResolvedOwner = {
  /** The row filter; both columns are spelled out so a row of the other kind never matches. */
  where: { userId: string; agentId: null } | { agentId: string; userId: null };
  /** Exactly one is set: the values the challenge's owner columns must hold. */
  userId: string | null;
  agentId: string | null;
  lockKey: string;
  /** The WebAuthn user handle (see userHandleOf). */
  handle: Uint8Array<ArrayBuffer>;
};

/**
 * Checked at run time as well as by the type: an undefined id must never turn into "any owner"
 * (docs/architecture.md example 3), and a passkey of an agent must never answer for an account holder.
 */
export function ownerOf(owner: PasskeyOwner): ResolvedOwner {
  if ('userId' in owner && !('agentId' in owner) && isUuid(owner.userId)) {
    const userId = owner.userId.toLowerCase();
    return { where: { userId, agentId: null }, userId, agentId: null, lockKey: `passkeys:user:${userId}`, handle: userHandleOf('user', userId) };
  }
  if ('agentId' in owner && !('userId' in owner) && isUuid(owner.agentId)) {
    const agentId = owner.agentId.toLowerCase();
    return { where: { agentId, userId: null }, userId: null, agentId, lockKey: `passkeys:agent:${agentId}`, handle: userHandleOf('agent', agentId) };
  }
  throw new Error('A passkey owner is exactly one of userId or agentId');
}

/** The owner of a stored credential or challenge row, if it has exactly one. */
export function ownerOfRow(row: { userId: string | null; agentId: string | null }): PasskeyOwner | undefined {
  if (row.userId && !row.agentId) return { userId: row.userId };
  if (row.agentId && !row.userId) return { agentId: row.agentId };
  return undefined;
}

/**
 * The WebAuthn user handle: one kind byte and the 16 bytes of the owner's UUID. Stable, so a new
 * passkey for the same account replaces an old one on the same authenticator instead of piling up;
 * opaque and free of personal data such as the email address (WebAuthn §14.6.1). The kind byte keeps
 * an account holder and an agent apart even on one authenticator.
 */
function userHandleOf(kind: 'user' | 'agent', id: string): Uint8Array<ArrayBuffer> {
  const handle = new Uint8Array(17);
  handle[0] = kind === 'user' ? 1 : 2;
  handle.set(Buffer.from(id.replaceAll('-', ''), 'hex'), 1);
  return handle;
}

/**
 * Serialises the changes that count an owner's passkeys (rule 9: the last one cannot be deleted),
 * so two deletes at once cannot each see the other's passkey still there.
 */
export async function lockOwner(tx: Pick<Db, '$executeRaw'>, owner: ResolvedOwner) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${owner.lockKey}, 0))`;
}
