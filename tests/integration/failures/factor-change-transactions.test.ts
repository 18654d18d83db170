import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import { createQueuedDelivery } from '@/lib/delivery';
import { countJobs } from '@/lib/jobs';
import { setLogLevel } from '@/lib/log';
import { beginAuthenticatorRebind, finishAuthenticatorRebind, newResetKey } from '@/lib/recovery/resets';
import { approveTicket } from '@/lib/recovery/console';
import { applyApprovedTicket, issueApprovalLink, TICKET_LINK_TASK } from '@/lib/recovery/ticket-reset';
import { generateReference, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import {
  beginAuthenticatorLink,
  confirmAuthenticatorLink,
  removePasskey,
  reportUnrecognisedActivity,
  reportUnrecognisedPasskey,
  signOutDevice,
  type ChangeDeps,
} from '@/lib/sessions/changes';
import { createTrustedDevice } from '@/lib/sessions/devices';
import { useTestDatabase } from '../../support/db';
import { createUser, nextIp } from '../../support/factories';

/**
 * docs/security.md rule 28: a security change and its consequences commit together. For each use
 * case that changes a factor, a real database failure is injected at each step (a PostgreSQL trigger
 * that raises on the step's table), and the test checks that no earlier step's write survived:
 * factor, sessions, devices, hold, webhook, audit event, queued notice, job. Then the trigger is
 * dropped, the same request runs again, and every consequence is there exactly once.
 */

const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const encryptionKey = randomBytes(32);
const rp = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };
const APP_URL = 'https://help.regain.test';
// The real message queue (lib/delivery): a notice is an OutboundMessage row and a job, written in
// the caller's transaction, so a rollback must take both away.
const delivery = createQueuedDelivery({ db, hmacKey, providerFor: () => 'outbox' });

const STEPS = {
  reset: '"RecoveryReset"',
  authenticator: '"Authenticator"',
  user: '"User"',
  session: '"Session"',
  device: '"TrustedDevice"',
  hold: '"SecurityHold"',
  webhook: '"WebhookDelivery"',
  audit: '"AuditEvent"',
  notice: '"OutboundMessage"',
  ticket: '"RecoveryTicket"',
  passkeyTable: '"PasskeyCredential"',
  job: 'graphile_worker._private_jobs',
} as const;
type Step = keyof typeof STEPS;

let armed: Step | undefined;

async function injectFailure(step: Step) {
  await db.$executeRawUnsafe(`CREATE OR REPLACE FUNCTION regain_test_injected_failure() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected failure on %', TG_TABLE_NAME; END $$`);
  await db.$executeRawUnsafe(
    `CREATE TRIGGER regain_test_injected_failure BEFORE INSERT OR UPDATE OR DELETE ON ${STEPS[step]} FOR EACH STATEMENT EXECUTE FUNCTION regain_test_injected_failure()`,
  );
  armed = step;
}

async function clearFailure() {
  if (!armed) return;
  await db.$executeRawUnsafe(`DROP TRIGGER IF EXISTS regain_test_injected_failure ON ${STEPS[armed]}`);
  armed = undefined;
}

afterEach(async () => {
  await clearFailure();
  setLogLevel('info');
});

/** Everything a factor change may write, for one account (and the global tables it writes to). */
async function snapshot(userId: string) {
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { sessionVersion: true } });
  const jobs = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker._private_jobs`;
  return {
    authenticators: (await db.authenticator.findMany({ where: { userId }, select: { id: true, confirmedAt: true, lastUsedStep: true }, orderBy: { id: 'asc' } })).map((a) => ({
      ...a,
      lastUsedStep: a.lastUsedStep?.toString() ?? null,
    })),
    sessionVersion: user.sessionVersion,
    liveSessions: await db.session.count({ where: { userId, revokedAt: null } }),
    trustedDevices: await db.trustedDevice.count({ where: { userId, revokedAt: null } }),
    holds: await db.securityHold.count({ where: { userId } }),
    webhooks: await db.webhookDelivery.count({ where: { payload: { path: ['accountId'], equals: userId } } }),
    audit: await db.auditEvent.count(),
    messages: await db.outboundMessage.count(),
    jobs: Number(jobs[0]!.n),
  };
}

async function sessionsAndDevice(userId: string, now: Date) {
  const laptop = await createTrustedDevice({ db, hmacKey, userId, name: 'Laptop' });
  const session = await db.session.create({ data: { userId, deviceId: laptop.device.id, method: 'passkey', authAt: now, expiresAt: new Date(now.getTime() + 3_600_000) } });
  await db.session.create({ data: { userId, method: 'password', authAt: now, expiresAt: new Date(now.getTime() + 3_600_000) } });
  return { sessionId: session.id, deviceId: laptop.device.id };
}

async function withAuthenticator(userId: string) {
  await db.authenticator.create({ data: { userId, encryptedSecret: seal(encryptionKey, randomBytes(20), `totp:user:${userId}`), confirmedAt: new Date() } });
}

/**
 * Runs `attempt` with a failure at `step` and checks nothing changed; then without it, and returns
 * the snapshots before and after the successful run.
 */
async function failThenSucceed<T>(step: Step, userId: string, attempt: () => Promise<T>) {
  setLogLevel('error'); // the injected failure is logged on purpose
  const before = await snapshot(userId);
  await injectFailure(step);
  await expect(attempt()).rejects.toThrow(/injected failure/);
  await clearFailure();
  expect(await snapshot(userId), `a failure at ${step} left a write behind`).toEqual(before);
  const result = await attempt();
  return { before, after: await snapshot(userId), result };
}

describe('finishReset (a lost authenticator replaced with two proofs) is one transaction', () => {
  const steps: Step[] = ['reset', 'authenticator', 'user', 'session', 'device', 'hold', 'webhook', 'audit', 'notice', 'job'];

  it.each(steps)('a failure at %s leaves nothing; the retry does everything once', async (step) => {
    const now = new Date();
    const user = await createUser(db);
    await withAuthenticator(user.id);
    await sessionsAndDevice(user.id, now);
    const key = newResetKey();
    const reset = await db.recoveryReset.create({
      data: { userId: user.id, lostFactor: 'authenticator', challengeId: randomUUID(), proofs: ['email_code', 'passkey'], browserKeyHash: key.hash, expiresAt: new Date(now.getTime() + 30 * 60_000) },
    });
    const deps = { db, encryptionKey, rp, delivery, now };
    const setup = await beginAuthenticatorRebind(deps, { resetToken: key.token });
    const code = totp(base32Decode(setup.setupKey), { time: now });

    const { before, after } = await failThenSucceed(step, user.id, () => finishAuthenticatorRebind(deps, { resetToken: key.token, authenticatorId: setup.authenticatorId, code }));

    expect((await db.recoveryReset.findUniqueOrThrow({ where: { id: reset.id } })).completedAt).toEqual(now);
    expect(after.authenticators.map((a) => a.id)).toEqual([setup.authenticatorId]);
    expect(after.sessionVersion).toBe(before.sessionVersion + 1);
    expect(after.liveSessions).toBe(0);
    expect(after.trustedDevices).toBe(0);
    expect(after.holds).toBe(before.holds + 1);
    // hold.started, factor.changed, recovery.completed
    expect(after.webhooks).toBe(before.webhooks + 3);
    expect(after.audit).toBe(before.audit + 1);
    // The notice to the verified email and phone, queued with the change.
    expect(after.messages).toBe(before.messages + 2);
    expect(after.jobs).toBeGreaterThan(before.jobs);
    expect(await db.auditEvent.count({ where: { action: 'recovery.reset_completed', subjectId: user.id } })).toBe(1);
  });
});

describe('confirmAuthenticatorLink (replacing an authenticator) is one transaction', () => {
  const steps: Step[] = ['authenticator', 'hold', 'webhook', 'audit', 'notice', 'job'];

  it.each(steps)('a failure at %s leaves nothing; the retry does everything once', async (step) => {
    const now = new Date();
    const user = await createUser(db);
    await withAuthenticator(user.id);
    const { sessionId } = await sessionsAndDevice(user.id, now);
    const deps: ChangeDeps = { db, hmacKey, encryptionKey, rp, delivery, now };
    const actor = { userId: user.id, sessionId, ip: nextIp(), userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };
    const setup = await beginAuthenticatorLink(deps, actor);
    const code = totp(base32Decode(setup.setupKey), { time: now });

    const { before, after, result } = await failThenSucceed(step, user.id, () => confirmAuthenticatorLink(deps, actor, { authenticatorId: setup.authenticatorId, code }));

    expect(result.replaced).toBe(true);
    expect(after.authenticators.map((a) => a.id)).toEqual([setup.authenticatorId]);
    expect(after.holds).toBe(before.holds + 1);
    // hold.started and factor.changed
    expect(after.webhooks).toBe(before.webhooks + 2);
    expect(after.audit).toBe(before.audit + 1);
    expect(after.messages).toBe(before.messages + 2);
    expect(after.jobs).toBeGreaterThan(before.jobs);
    // Nothing here ends sessions: the person stays signed in where they made the change.
    expect(after.liveSessions).toBe(before.liveSessions);
  });
});

describe('applyApprovedTicket (the reset after an approved identity-document ticket) is one transaction', () => {
  const steps: Step[] = ['authenticator', 'user', 'session', 'device', 'hold', 'webhook', 'audit', 'ticket', 'notice', 'job'];

  it.each(steps)('a failure at %s leaves nothing; the retry does everything once', async (step) => {
    const now = new Date();
    const user = await createUser(db);
    await withAuthenticator(user.id);
    await sessionsAndDevice(user.id, now);
    const agent = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Approver' }, select: { id: true } });
    const ticket = await db.recoveryTicket.create({
      data: {
        reference: generateReference(),
        userId: user.id,
        type: 'AUTHENTICATOR_RESET',
        status: 'APPROVED',
        contactEmail: `contact-${randomBytes(3).toString('hex')}@example.com`,
        lostFactors: ['authenticator'],
        approvedById: agent.id,
        // The owner's cancel window (rule 27) has passed.
        applyNotBefore: new Date(now.getTime() - 60_000),
        slaDueAt: new Date(now.getTime() + TICKET_SLA_HOURS * 3_600_000),
      },
      select: { id: true },
    });
    const deps = { db, delivery, hmacKey, appUrl: APP_URL, now };

    const { before, after, result } = await failThenSucceed(step, user.id, () => applyApprovedTicket(deps, { ticketId: ticket.id, agentId: agent.id }));

    expect(result).toMatchObject({ removed: ['authenticator'], proceedsAt: null });
    expect(after.authenticators).toEqual([]);
    expect(after.sessionVersion).toBe(before.sessionVersion + 1);
    expect(after.liveSessions).toBe(0);
    expect(after.trustedDevices).toBe(0);
    expect(after.holds).toBe(before.holds + 1);
    // hold.started and factor.changed (removed)
    expect(after.webhooks).toBe(before.webhooks + 2);
    expect(after.audit).toBe(before.audit + 1);
    expect(after.messages).toBe(before.messages + 2);
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { resetAppliedAt: true } })).toEqual({ resetAppliedAt: now });
    // The link's job, exactly one; the link itself is issued by it.
    expect((await countJobs(db, TICKET_LINK_TASK)).waiting).toBeGreaterThanOrEqual(1);
    const linkJobs = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker.jobs WHERE key = ${`ticket-reset-link:${ticket.id}`}`;
    expect(Number(linkJobs[0]!.n)).toBe(1);

    // Run again (the job, or the sweep): nothing more happens.
    const again = await applyApprovedTicket(deps, { ticketId: ticket.id, agentId: agent.id });
    expect(again).toMatchObject({ removed: [], alreadyApplied: true });
    expect(await snapshot(user.id)).toEqual(after);
  });
});

describe('finishReset for a reset backed by an approved ticket closes the ticket in the same transaction', () => {
  const steps: Step[] = ['reset', 'ticket', 'session', 'hold', 'audit', 'notice'];

  it.each(steps)('a failure at %s leaves the ticket approved and nothing else changed', async (step) => {
    const now = new Date();
    const user = await createUser(db);
    await sessionsAndDevice(user.id, now);
    const ticket = await db.recoveryTicket.create({
      data: {
        reference: generateReference(),
        userId: user.id,
        type: 'AUTHENTICATOR_RESET',
        status: 'APPROVED',
        contactEmail: `contact-${randomBytes(3).toString('hex')}@example.com`,
        lostFactors: ['authenticator'],
        resetAppliedAt: now,
        slaDueAt: new Date(now.getTime() + TICKET_SLA_HOURS * 3_600_000),
      },
      select: { id: true },
    });
    const key = newResetKey();
    await db.recoveryReset.create({
      data: { userId: user.id, lostFactor: 'authenticator', challengeId: ticket.id, proofs: ['approved_ticket'], browserKeyHash: key.hash, expiresAt: new Date(now.getTime() + 30 * 60_000) },
    });
    const deps = { db, encryptionKey, rp, delivery, now };
    const setup = await beginAuthenticatorRebind(deps, { resetToken: key.token });
    const code = totp(base32Decode(setup.setupKey), { time: now });
    const status = () => db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { status: true } });

    setLogLevel('error');
    await injectFailure(step);
    await expect(finishAuthenticatorRebind(deps, { resetToken: key.token, authenticatorId: setup.authenticatorId, code })).rejects.toThrow(/injected failure/);
    await clearFailure();
    expect(await status()).toEqual({ status: 'APPROVED' });
    expect(await db.ticketMessage.count({ where: { ticketId: ticket.id } })).toBe(0);
    const before = await snapshot(user.id);
    expect(before.authenticators.filter((a) => a.confirmedAt)).toEqual([]);

    await finishAuthenticatorRebind(deps, { resetToken: key.token, authenticatorId: setup.authenticatorId, code });
    expect(await status()).toEqual({ status: 'COMPLETED' });
    expect(await db.ticketMessage.count({ where: { ticketId: ticket.id, kind: 'STATUS_CHANGE' } })).toBe(1);
    const after = await snapshot(user.id);
    expect(after.holds).toBe(before.holds + 1);
    expect(after.liveSessions).toBe(0);
    // The ticket's transition and the reset, each audited once.
    expect(after.audit).toBe(before.audit + 2);
  });
});

describe('reportUnrecognisedActivity ("this wasn\'t me") is one transaction', () => {
  const steps: Step[] = ['session', 'device', 'hold', 'webhook', 'audit', 'notice', 'job'];

  it.each(steps)('a failure at %s leaves nothing; the retry does everything once', async (step) => {
    const now = new Date();
    const user = await createUser(db);
    const { sessionId } = await sessionsAndDevice(user.id, now);
    await createTrustedDevice({ db, hmacKey, userId: user.id, name: 'Old phone' });
    const deps: ChangeDeps = { db, hmacKey, encryptionKey, rp, delivery, now };
    const actor = { userId: user.id, sessionId, ip: nextIp(), userAgent: null };

    const { before, after } = await failThenSucceed(step, user.id, () => reportUnrecognisedActivity(deps, actor));

    // This browser stays signed in and trusted; everything else ends.
    expect(after.liveSessions).toBe(1);
    expect(after.trustedDevices).toBe(1);
    expect(before.liveSessions).toBe(2);
    expect(after.holds).toBe(before.holds + 1);
    expect(after.webhooks).toBe(before.webhooks + 1);
    expect(after.audit).toBe(before.audit + 1);
    expect(after.messages).toBe(before.messages + 2);
  });
});

describe('issuing the approval link is one transaction with its mail', () => {
  const steps: Step[] = ['ticket', 'audit', 'notice', 'job'];

  it.each(steps)('a failure at %s leaves no link and no mail; the retry issues one of each', async (step) => {
    const now = new Date();
    const user = await createUser(db);
    const ticket = await db.recoveryTicket.create({
      data: {
        reference: generateReference(),
        userId: user.id,
        type: 'AUTHENTICATOR_RESET',
        status: 'APPROVED',
        contactEmail: `contact-${randomBytes(3).toString('hex')}@example.com`,
        lostFactors: ['authenticator'],
        resetAppliedAt: now,
        slaDueAt: new Date(now.getTime() + TICKET_SLA_HOURS * 3_600_000),
      },
      select: { id: true, contactEmail: true },
    });
    const deps = { db, delivery, hmacKey, appUrl: APP_URL, now };
    const link = () => db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { resetTokenHash: true, resetLinkMessageId: true } });
    const mails = () => db.outboundMessage.count({ where: { to: ticket.contactEmail } });

    setLogLevel('error');
    await injectFailure(step);
    await expect(issueApprovalLink(deps, { ticketId: ticket.id })).rejects.toThrow(/injected failure/);
    await clearFailure();
    expect(await link()).toEqual({ resetTokenHash: null, resetLinkMessageId: null });
    expect(await mails()).toBe(0);
    expect(await db.auditEvent.count({ where: { subjectId: ticket.id } })).toBe(0);

    expect(await issueApprovalLink(deps, { ticketId: ticket.id })).toMatchObject({ outcome: 'queued' });
    expect(await issueApprovalLink(deps, { ticketId: ticket.id })).toEqual({ outcome: 'already_issued' });
    expect((await link()).resetTokenHash).not.toBeNull();
    expect(await mails()).toBe(1);
    expect(await db.auditEvent.count({ where: { subjectId: ticket.id, action: 'ticket.reset_link_issued' } })).toBe(1);
  });
});

describe('an approval commits with its reset job', () => {
  it('a failure enqueueing the job leaves the ticket in review; the retry approves with exactly one job', async () => {
    // A month on, so the fresh account carries no "recent change" risk signal (one approval is enough).
    const now = new Date(Date.now() + 30 * 86_400_000);
    const user = await createUser(db);
    const agent = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Agent' }, select: { id: true } });
    const ticket = await db.recoveryTicket.create({
      data: {
        reference: generateReference(),
        userId: user.id,
        type: 'AUTHENTICATOR_RESET',
        status: 'IN_REVIEW',
        contactEmail: `contact-${randomBytes(3).toString('hex')}@example.com`,
        lostFactors: ['authenticator'],
        riskLevel: 'LOW',
        assigneeId: agent.id,
        slaDueAt: new Date(now.getTime() + TICKET_SLA_HOURS * 3_600_000),
        createdAt: new Date(now.getTime() - 3_600_000),
      },
      select: { id: true },
    });
    // A week-long window, so only the approval itself runs here.
    const request = { db, delivery, hmacKey, appUrl: APP_URL, now, ip: nextIp(), userAgent: 'Vitest', cancelWindowHours: 168, agent: { agentId: agent.id }, ticketId: ticket.id };
    const resetJobs = async () => Number((await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker.jobs WHERE key = ${`ticket-reset:${ticket.id}`}`)[0]!.n);

    setLogLevel('error');
    await injectFailure('job');
    await expect(approveTicket(request)).rejects.toThrow(/injected failure/);
    await clearFailure();
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { status: true } })).toEqual({ status: 'IN_REVIEW' });
    expect(await db.auditEvent.count({ where: { subjectId: ticket.id, action: 'ticket.approved' } })).toBe(0);
    expect(await resetJobs()).toBe(0);

    expect(await approveTicket(request)).toMatchObject({ outcome: 'approved', proceedsAt: new Date(now.getTime() + 168 * 3_600_000) });
    expect(await resetJobs()).toBe(1);
    expect(await db.auditEvent.count({ where: { subjectId: ticket.id, action: 'ticket.approved' } })).toBe(1);
  });
});

describe('the other factor and device changes of the security center are one transaction each', () => {
  /** A stored passkey row: enough for removal, which never checks the key itself. */
  const passkey = (userId: string, name: string) =>
    db.passkeyCredential.create({
      data: { userId, credentialId: randomBytes(16).toString('base64url'), publicKey: new Uint8Array(randomBytes(65)), transports: ['internal'], deviceType: 'multiDevice', name },
      select: { id: true },
    });
  const passkeys = (userId: string) => db.passkeyCredential.count({ where: { userId } });

  async function signedIn(now: Date) {
    const user = await createUser(db);
    const { sessionId, deviceId } = await sessionsAndDevice(user.id, now);
    const deps: ChangeDeps = { db, hmacKey, encryptionKey, rp, delivery, now };
    return { user, deps, deviceId, actor: { userId: user.id, sessionId, ip: nextIp(), userAgent: null } };
  }

  it.each(['passkey', 'webhook', 'audit', 'notice', 'job'] as const)('removePasskey: a failure at %s leaves the passkey and nothing else', async (step) => {
    const { user, deps, actor } = await signedIn(new Date());
    const target = await passkey(user.id, 'Old key');
    await passkey(user.id, 'Phone');
    const { before, after } = await failThenSucceed(step === 'passkey' ? 'passkeyTable' : step, user.id, () => removePasskey(deps, actor, { passkeyId: target.id }));
    expect(await passkeys(user.id)).toBe(1);
    expect(after.webhooks).toBe(before.webhooks + 1);
    expect(after.audit).toBe(before.audit + 1);
    expect(after.messages).toBe(before.messages + 2);
  });

  it.each(['passkey', 'session', 'hold', 'webhook', 'audit', 'notice', 'job'] as const)(
    'reportUnrecognisedPasskey: a failure at %s leaves the passkey, the sessions and no hold',
    async (step) => {
      const { user, deps, actor } = await signedIn(new Date());
      const target = await passkey(user.id, 'Not mine');
      const { before, after } = await failThenSucceed(step === 'passkey' ? 'passkeyTable' : step, user.id, () => reportUnrecognisedPasskey(deps, actor, { passkeyId: target.id }));
      expect(await passkeys(user.id)).toBe(0);
      expect(after.liveSessions).toBe(1);
      expect(after.holds).toBe(before.holds + 1);
      // hold.started and factor.changed (revoked)
      expect(after.webhooks).toBe(before.webhooks + 2);
      expect(after.audit).toBe(before.audit + 1);
      expect(after.messages).toBe(before.messages + 2);
    },
  );

  it.each(['device', 'session', 'audit', 'notice', 'job'] as const)('signOutDevice: a failure at %s leaves the device signed in', async (step) => {
    const { user, deps, actor } = await signedIn(new Date());
    const other = await createTrustedDevice({ db, hmacKey, userId: user.id, name: 'Tablet' });
    await db.session.create({ data: { userId: user.id, deviceId: other.device.id, method: 'password', expiresAt: new Date(Date.now() + 3_600_000) } });
    const { before, after } = await failThenSucceed(step, user.id, () => signOutDevice(deps, actor, { deviceId: other.device.id }));
    expect(after.trustedDevices).toBe(before.trustedDevices - 1);
    expect(after.liveSessions).toBe(before.liveSessions - 1);
    expect(after.audit).toBe(before.audit + 1);
    expect(after.messages).toBe(before.messages + 2);
  });
});
