'use server';

import { revalidatePath } from 'next/cache';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { type ActionResult, runAction } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { agentAccessForm, createApiKeyForm, revokeApiKeyForm } from '@/lib/forms/admin';
import { AGENT_ROLES, createHostApiKey, revokeHostApiKey, updateAgentAccess } from '@/lib/platform/admin';
import { consoleRequest } from '../audit/context';

const PAGE = '/console/admin';

export type AgentAccessState = ActionResult<{ role: string; active: boolean; changed: boolean }> | undefined;
export type CreateKeyState = ActionResult<{ name: string; prefix: string; key: string }> | undefined;
export type RevokeKeyState = ActionResult<{ prefix: string }> | undefined;

/** Role and/or active flag of one agent. Admins only (checked again in lib/platform/admin). */
export async function agentAccessAction(_previous: AgentAccessState, form: FormData): Promise<AgentAccessState> {
  return runAction(async () => {
    const { actor, now } = await consoleRequest();
    const { agentId, role, active } = parseForm(agentAccessForm, form);
    const result = await updateAgentAccess({
      db: getPrisma(),
      actor,
      agentId,
      change: { role: role as (typeof AGENT_ROLES)[number] | undefined, active },
      now,
    });
    revalidatePath(PAGE);
    return { role: result.role, active: result.active, changed: result.changed };
  }, { action: 'admin.agent_access' });
}

/** The new key travels back once, in this answer; it is not stored anywhere it could be read again. */
export async function createKeyAction(_previous: CreateKeyState, form: FormData): Promise<CreateKeyState> {
  return runAction(async () => {
    const { actor, now } = await consoleRequest();
    const created = await createHostApiKey({ db: getPrisma(), hmacKey: getConfig().hmacKey, actor, name: parseForm(createApiKeyForm, form).name, now });
    revalidatePath(PAGE);
    return { name: created.name, prefix: created.prefix, key: created.key };
  }, { action: 'admin.api_key_create' });
}

export async function revokeKeyAction(_previous: RevokeKeyState, form: FormData): Promise<RevokeKeyState> {
  return runAction(async () => {
    const { actor, now } = await consoleRequest();
    const revoked = await revokeHostApiKey({ db: getPrisma(), actor, apiKeyId: parseForm(revokeApiKeyForm, form).apiKeyId, now });
    revalidatePath(PAGE);
    return { prefix: revoked.prefix };
  }, { action: 'admin.api_key_revoke' });
}
