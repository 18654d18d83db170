import type { DbClient } from '@/lib/db/transaction';

/**
 * Ends every console session of an agent (deactivation): the agent's session version moves, so
 * signed tokens die at once, and the session rows are marked revoked. Session state is written only
 * in lib/sessions (docs/architecture.md: capabilities never write one another's tables); pass the
 * caller's transaction so the change and its consequence commit together (docs/security.md rule 28).
 */
export async function endAgentSessions(db: DbClient, agentId: string, now: Date): Promise<{ sessionsEnded: number }> {
  await db.agent.update({ where: { id: agentId }, data: { sessionVersion: { increment: 1 } }, select: { id: true } });
  const ended = await db.session.updateMany({ where: { agentId, revokedAt: null }, data: { revokedAt: now } });
  return { sessionsEnded: ended.count };
}
