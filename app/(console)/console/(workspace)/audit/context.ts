import { cookies, headers } from 'next/headers';
import type { ConsoleActor } from '@/lib/audit/console';
import { clientIp, requestNow } from '@/lib/http/request';
import { currentAgent } from '@/lib/sessions/auth';

/**
 * The agent behind a console page or server action, with this request's address and clock. The
 * lib use cases check the role again from the database; `agent` is only for the page's own first
 * pass (redirecting someone who is signed out).
 */
export async function consoleRequest() {
  const [agent, list, jar] = await Promise.all([currentAgent(), headers(), cookies()]);
  const actor: ConsoleActor | undefined = agent ? { agentId: agent.agentId, ip: clientIp(list), userAgent: list.get('user-agent')?.slice(0, 300) ?? null } : undefined;
  return { agent, actor, now: requestNow(jar) };
}
