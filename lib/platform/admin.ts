import { z } from 'zod';
import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import { isUuid } from '@/lib/db/ids';
import { AppError, validationError } from '@/lib/errors';
import { type AgentRole, CONSOLE_ROLES, requireAgentRole } from '@/lib/access';
import { endAgentSessions } from '@/lib/sessions/agents';
import { createApiKey, revokeApiKey } from './api-keys';

/**
 * Console administration (docs/product.md D): who works in the console and with which role, and the API keys
 * the host platform uses. Admins only; every change is audited with the admin as actor
 * (docs/security.md rule 20). An admin cannot demote or deactivate themselves, so the console always
 * keeps at least one admin and nobody locks themselves out by a slip.
 */

export const AGENT_ROLES = CONSOLE_ROLES;

export type AdminActor = { agentId: string; ip: string | null; userAgent: string | null };

export type AgentListing = { id: string; name: string; email: string; role: AgentRole; active: boolean; createdAt: Date; isYou: boolean };

export async function listAgents({ db, actor }: { db: Db; actor: AdminActor | undefined }): Promise<AgentListing[]> {
  const admin = await requireAgentRole(db, actor, 'administration', 'administer the console');
  const agents = await db.agent.findMany({
    orderBy: [{ active: 'desc' }, { name: 'asc' }, { email: 'asc' }],
    select: { id: true, name: true, email: true, role: true, active: true, createdAt: true },
  });
  return agents.map((a) => ({ ...a, isYou: a.id === admin.id }));
}

const changeInput = z
  .object({
    role: z.enum(AGENT_ROLES, { message: 'Choose agent, supervisor or admin.' }).optional(),
    active: z.boolean().optional(),
  })
  .refine((c) => c.role !== undefined || c.active !== undefined, { message: 'Nothing to change.' });

/**
 * Changes an agent's role and/or active flag. A change takes effect on the agent's next request
 * (the console reads role and active state fresh each time); deactivating also ends every session
 * for good, so reactivating later does not bring old sessions back.
 */
export async function updateAgentAccess({
  db,
  actor,
  agentId,
  change,
  now,
}: {
  db: Db;
  actor: AdminActor | undefined;
  agentId: string;
  change: { role?: AgentRole | undefined; active?: boolean | undefined };
  now: Date;
}): Promise<{ id: string; role: AgentRole; active: boolean; changed: boolean }> {
  const admin = await requireAgentRole(db, actor, 'administration', 'administer the console');
  const parsed = changeInput.safeParse(change);
  if (!parsed.success) throw validationError({ role: parsed.error.issues.map((i) => i.message) });
  const { role, active } = parsed.data;
  if (agentId === admin.id && ((role !== undefined && role !== admin.role) || active === false)) {
    throw new AppError({
      code: 'forbidden',
      userMessage: "You can't demote or deactivate yourself. Ask another admin to do it.",
      internalMessage: `admin ${admin.id} tried to change their own access`,
    });
  }
  if (!isUuid(agentId)) throw agentNotFound(agentId);

  return db.$transaction(async (tx) => {
    const before = await tx.agent.findUnique({ where: { id: agentId }, select: { id: true, role: true, active: true } });
    if (!before) throw agentNotFound(agentId);
    const next = { role: role ?? before.role, active: active ?? before.active };
    const roleChanged = next.role !== before.role;
    const activeChanged = next.active !== before.active;
    if (!roleChanged && !activeChanged) return { id: before.id, ...next, changed: false };

    await tx.agent.update({
      where: { id: agentId },
      data: { role: next.role, active: next.active },
    });
    if (activeChanged && !next.active) await endAgentSessions(tx, agentId, now);
    const base = { actorType: 'AGENT' as const, actorId: admin.id, subjectType: 'agent', subjectId: agentId, ip: actor!.ip, userAgent: actor!.userAgent, occurredAt: now };
    if (roleChanged) await recordAudit(tx, { ...base, action: 'agent.role_changed', data: { from: before.role, to: next.role } });
    if (activeChanged) await recordAudit(tx, { ...base, action: next.active ? 'agent.reactivated' : 'agent.deactivated' });
    return { id: before.id, ...next, changed: true };
  });
}

export type ApiKeyListing = {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  createdByName: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

export async function listHostApiKeys({ db, actor }: { db: Db; actor: AdminActor | undefined }): Promise<ApiKeyListing[]> {
  await requireAgentRole(db, actor, 'administration', 'administer the console');
  const keys = await db.apiKey.findMany({
    // Never keyHash: admins tell keys apart by prefix and name.
    select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true, createdBy: { select: { name: true } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: 500,
  });
  return keys
    .map(({ createdBy, ...key }) => ({ ...key, createdByName: createdBy?.name ?? null }))
    .sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null));
}

const keyName = z
  .string()
  .trim()
  .min(3, { message: 'Give the key a name of at least 3 characters, e.g. "Exchange production".' })
  .max(80, { message: 'Keep the name under 80 characters.' })
  // Shown in the console and kept in the audit log: one line of plain text (and PostgreSQL cannot store NUL).
  .refine((name) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name), { message: 'Use letters, numbers and punctuation only.' });

/** Creates a key for the host platform. The full key is in the result once and nowhere else, ever. */
export async function createHostApiKey({
  db,
  hmacKey,
  actor,
  name,
  now,
}: {
  db: Db;
  hmacKey: Buffer;
  actor: AdminActor | undefined;
  name: string;
  now: Date;
}): Promise<{ id: string; name: string; prefix: string; key: string }> {
  const admin = await requireAgentRole(db, actor, 'administration', 'administer the console');
  const parsed = keyName.safeParse(name);
  if (!parsed.success) throw validationError({ name: parsed.error.issues.map((i) => i.message) });
  // One transaction: a key nobody can find in the audit log must not exist. createApiKey only
  // writes through `apiKey`, which the transaction client has too.
  const created = await db.$transaction(async (tx) => {
    const row = await createApiKey({ db: tx as unknown as Db, hmacKey, name: parsed.data, createdById: admin.id });
    await recordAudit(tx, {
      actorType: 'AGENT',
      actorId: admin.id,
      action: 'api_key.created',
      subjectType: 'api_key',
      subjectId: row.id,
      ip: actor!.ip,
      userAgent: actor!.userAgent,
      data: { prefix: row.prefix, name: parsed.data },
      occurredAt: now,
    });
    return row;
  });
  return { id: created.id, name: parsed.data, prefix: created.prefix, key: created.key };
}

/** Revokes a key at once: the host's next request with it gets 401. */
export async function revokeHostApiKey({
  db,
  actor,
  apiKeyId,
  now,
}: {
  db: Db;
  actor: AdminActor | undefined;
  apiKeyId: string;
  now: Date;
}): Promise<{ id: string; prefix: string }> {
  const admin = await requireAgentRole(db, actor, 'administration', 'administer the console');
  const notFound = new AppError({ code: 'not_found', userMessage: 'That key does not exist or is already revoked.', internalMessage: `api key ${apiKeyId} not revocable` });
  if (!isUuid(apiKeyId)) throw notFound;
  const key = await db.apiKey.findUnique({ where: { id: apiKeyId }, select: { id: true, prefix: true, name: true } });
  if (!key) throw notFound;
  await db.$transaction(async (tx) => {
    const { revoked } = await revokeApiKey({ db: tx as unknown as Db, id: key.id, now });
    if (!revoked) throw notFound;
    await recordAudit(tx, {
      actorType: 'AGENT',
      actorId: admin.id,
      action: 'api_key.revoked',
      subjectType: 'api_key',
      subjectId: key.id,
      ip: actor!.ip,
      userAgent: actor!.userAgent,
      data: { prefix: key.prefix, name: key.name },
      occurredAt: now,
    });
  });
  return { id: key.id, prefix: key.prefix };
}

// ── Who may ──────────────────────────────────────────────────────────────────


function agentNotFound(agentId: string) {
  return new AppError({ code: 'not_found', userMessage: 'That agent does not exist.', internalMessage: `agent ${agentId} not found` });
}
