import { verifyAuthenticatorCode } from '@/lib/authenticator';
import { recordAudit } from '@/lib/audit';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { finishPasskeySignIn } from '@/lib/passkeys';
import { hashPassword, verifyPassword } from './password';
import { admitPasswordSignIn, AGENT_SESSION_HOURS, type SecondFactor, type SignInDeps, signInSucceeded, throttle } from './sign-in';
import { plausibleEmail } from '@/lib/verification/identifiers';

/**
 * Console sign-in for agents (docs/product.md D; docs/security.md rules 12, 15): a passkey, or password plus an
 * authenticator code or passkey. Never SMS. One uniform failure; every attempt is audited (rule 20).
 */
export type AgentSignedIn = { agentId: string; sessionId: string; sessionVersion: number };
type RequestInfo = { ip: string; userAgent: string | null; now: Date };

const failed = () => new AppError({ code: 'unauthorized', userMessage: 'The email, password or code is not right.' });
let decoyHash: Promise<string> | undefined;

export async function signInAgentWithPassword(deps: SignInDeps, input: RequestInfo & { email: string; password: string; secondFactor: SecondFactor }): Promise<AgentSignedIn> {
  const email = input.email.trim().toLowerCase().slice(0, 254);
  // The same failure limits as account holders (rules 14, 23): strangers cannot lock an agent,
  // a supervisor or an admin out of the console.
  const admission = await admitPasswordSignIn(deps.db, { subject: `signin:agent:${keyedHash(deps.hmacKey, 'agent-signin', email).toString('base64url')}`, ip: input.ip, now: input.now });
  const agent = plausibleEmail(email) ? await deps.db.agent.findUnique({ where: { email }, select: { id: true, passwordHash: true, active: true } }) : null;
  decoyHash ??= hashPassword('no agent has this password');
  const passwordOk = await verifyPassword(agent?.passwordHash ?? (await decoyHash), input.password);
  let secondOk = false;
  if (agent && passwordOk && agent.active) {
    if (input.secondFactor.kind === 'totp') {
      secondOk = (await verifyAuthenticatorCode({ db: deps.db, encryptionKey: deps.encryptionKey, owner: { agentId: agent.id }, code: input.secondFactor.code, now: input.now })).ok;
    } else if (input.secondFactor.kind === 'passkey') {
      // Agents have no recovery codes: an invited agent's lost factor goes back to an admin.
      const result = await finishPasskeySignIn({ db: deps.db, rp: deps.rp, response: input.secondFactor.response, now: input.now });
      secondOk = result.ok && 'agentId' in result.owner && result.owner.agentId === agent.id;
    }
  }
  const method = input.secondFactor.kind === 'totp' ? 'password+totp' : 'password+passkey';
  if (!agent || !passwordOk || !agent.active || !secondOk) {
    await audit(deps.db, input, { agentId: agent?.id, action: 'agent.sign_in_failed', method });
    throw failed();
  }
  const signedIn = await openAgentSession(deps.db, input, agent.id, method);
  await signInSucceeded(deps.db, admission, input.ip);
  return signedIn;
}

export async function signInAgentWithPasskey(deps: SignInDeps, input: RequestInfo & { response: unknown }): Promise<AgentSignedIn> {
  await throttle(deps.db, [`signin:ip:${input.ip}`], input.now);
  const result = await finishPasskeySignIn({ db: deps.db, rp: deps.rp, response: input.response, now: input.now });
  const agentId = result.ok && 'agentId' in result.owner ? result.owner.agentId : undefined;
  const agent = agentId ? await deps.db.agent.findUnique({ where: { id: agentId }, select: { active: true } }) : null;
  if (!agentId || !agent?.active) {
    await audit(deps.db, input, { agentId, action: 'agent.sign_in_failed', method: 'passkey' });
    throw new AppError({ code: 'unauthorized', userMessage: "That passkey didn't work. Try again, or use your password." });
  }
  const signedIn = await openAgentSession(deps.db, input, agentId, 'passkey');
  await signInSucceeded(deps.db, undefined, input.ip);
  return signedIn;
}

async function openAgentSession(db: Db, input: RequestInfo, agentId: string, method: string): Promise<AgentSignedIn> {
  const [agent, session] = await Promise.all([
    db.agent.findUniqueOrThrow({ where: { id: agentId }, select: { sessionVersion: true } }),
    db.session.create({
      data: {
        agentId,
        method,
        ip: input.ip,
        userAgent: input.userAgent?.slice(0, 300) ?? null,
        createdAt: input.now,
        lastSeenAt: input.now,
        authAt: input.now,
        expiresAt: new Date(input.now.getTime() + AGENT_SESSION_HOURS * 3_600_000),
      },
      select: { id: true },
    }),
  ]);
  await audit(db, input, { agentId, action: 'agent.sign_in', method });
  return { agentId, sessionId: session.id, sessionVersion: agent.sessionVersion };
}

async function audit(db: Db, input: RequestInfo, event: { agentId: string | undefined; action: string; method: string }) {
  await recordAudit(db, {
    actorType: event.agentId ? 'AGENT' : 'ANONYMOUS',
    actorId: event.agentId ?? null,
    action: event.action,
    subjectType: 'agent',
    subjectId: event.agentId ?? null,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    data: { method: event.method },
    occurredAt: input.now,
  });
}
