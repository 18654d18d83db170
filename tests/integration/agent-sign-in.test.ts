import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import { finishPasskeyRegistration, startPasskeyRegistration, startPasskeySignIn } from '@/lib/passkeys';
import { signInAgentWithPasskey, signInAgentWithPassword } from '@/lib/sessions/agent-sign-in';
import { hashPassword } from '@/lib/sessions/password';
import { AGENT_IDLE_MINUTES, AGENT_SESSION_HOURS, signInWithPasskey, validateSession } from '@/lib/sessions/sign-in';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { capturingDelivery } from '../support/capturing-delivery';

const { db } = await useTestDatabase();
const rp = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };
const deps = { db, hmacKey: randomBytes(32), encryptionKey: randomBytes(32), rp, delivery: capturingDelivery().delivery };
const PASSWORD = 'agents use long passwords too';

async function agent(options: { active?: boolean } = {}) {
  const secret = randomBytes(20);
  const row = await db.agent.create({
    data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Agent', passwordHash: await hashPassword(PASSWORD), active: options.active ?? true },
  });
  await db.authenticator.create({ data: { agentId: row.id, encryptedSecret: seal(deps.encryptionKey, secret, `totp:agent:${row.id}`), confirmedAt: new Date() } });
  return { ...row, secret };
}

const request = (now: Date) => ({ ip: nextIp(), userAgent: 'Mozilla/5.0 Chrome/142.0', now });

describe('console sign-in for agents (docs/security.md rules 12, 15, 20)', () => {
  it('signs in with password and authenticator code; the session lasts 30 minutes idle and 12 hours in all', async () => {
    const a = await agent();
    const t0 = new Date();
    const session = await signInAgentWithPassword(deps, { ...request(t0), email: a.email, password: PASSWORD, secondFactor: { kind: 'totp', code: totp(a.secret, { time: t0 }) } });
    const token = { sessionId: session.sessionId, sessionVersion: session.sessionVersion };
    expect(await validateSession(db, token, t0)).toEqual({ kind: 'agent', agentId: a.id });
    expect(await validateSession(db, token, new Date(t0.getTime() + (AGENT_IDLE_MINUTES + 1) * 60_000))).toBeNull();

    // Kept busy, it still ends after 12 hours.
    let at = t0;
    while (at.getTime() < t0.getTime() + (AGENT_SESSION_HOURS * 60 - 20) * 60_000) {
      at = new Date(at.getTime() + 20 * 60_000);
      expect(await validateSession(db, token, at)).not.toBeNull();
    }
    expect(await validateSession(db, token, new Date(t0.getTime() + AGENT_SESSION_HOURS * 3_600_000 + 1000))).toBeNull();
    expect(await db.auditEvent.count({ where: { action: 'agent.sign_in', actorId: a.id } })).toBe(1);
  });

  it('refuses a wrong code, a deactivated agent, and ends sessions of an agent deactivated later', async () => {
    const a = await agent();
    const now = new Date();
    await expect(
      signInAgentWithPassword(deps, { ...request(now), email: a.email, password: PASSWORD, secondFactor: { kind: 'totp', code: '000000' } }),
    ).rejects.toMatchObject({ userMessage: 'The email, password or code is not right.' });
    expect(await db.auditEvent.count({ where: { action: 'agent.sign_in_failed', actorId: a.id } })).toBe(1);

    const off = await agent({ active: false });
    await expect(
      signInAgentWithPassword(deps, { ...request(now), email: off.email, password: PASSWORD, secondFactor: { kind: 'totp', code: totp(off.secret, { time: now }) } }),
    ).rejects.toMatchObject({ code: 'unauthorized' });

    const session = await signInAgentWithPassword(deps, { ...request(now), email: a.email, password: PASSWORD, secondFactor: { kind: 'totp', code: totp(a.secret, { time: now }) } });
    await db.agent.update({ where: { id: a.id }, data: { active: false } });
    expect(await validateSession(db, { sessionId: session.sessionId, sessionVersion: session.sessionVersion }, now)).toBeNull();
  });

  it('keeps agent and account-holder passkeys apart', async () => {
    const a = await agent();
    const user = await createUser(db);
    const agentKey = new SoftAuthenticator();
    const userKey = new SoftAuthenticator();
    const now = new Date();
    for (const [owner, key] of [[{ agentId: a.id }, agentKey], [{ userId: user.id }, userKey]] as const) {
      const options = await startPasskeyRegistration({ db, rp, owner, userName: 'x', displayName: 'x', now });
      await finishPasskeyRegistration({ db, rp, owner, response: key.register(options, rp.origin), now });
    }
    const answer = async (key: SoftAuthenticator) => key.signIn(await startPasskeySignIn({ db, rp, now, purpose: 'authenticate' }), rp.origin);
    expect((await signInAgentWithPasskey(deps, { ...request(now), response: await answer(agentKey) })).agentId).toBe(a.id);
    await expect(signInAgentWithPasskey(deps, { ...request(now), response: await answer(userKey) })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(signInWithPasskey(deps, { ...request(now), deviceToken: undefined, response: await answer(agentKey) })).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
