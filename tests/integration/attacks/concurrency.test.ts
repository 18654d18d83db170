import { describe, expect, it } from 'vitest';
import { verifyAuthenticatorCode } from '@/lib/authenticator';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { startPasskeySignIn } from '@/lib/passkeys';
import { approveTicket, claimTicket, confirmApproval } from '@/lib/recovery/console';
import { askTrustedDevice, beginAuthenticatorRebind, beginReset, checkTrustedDevice, finishAuthenticatorRebind, passkeyProofOptions, proveWithPasskey, type ResetDeps } from '@/lib/recovery/resets';
import { runDueJobs } from '@/lib/jobs';
import { beginTicketCompletion, ticketResetTasks } from '@/lib/recovery/ticket-reset';
import { joinAppointment, requestJoinCode } from '@/lib/recovery/tickets/appointments';
import { issueResetToken, requestStatusCode, transitionTicket, verifyStatusCode } from '@/lib/recovery/tickets';
import { signInWithPasskey, stepUp } from '@/lib/sessions/sign-in';
import { decideApproval } from '@/lib/sessions/approvals';
import { startRecovery, verifyCode, type VerificationDeps } from '@/lib/verification/challenges';
import { capturingDelivery, collectingScheduler } from '../../support/capturing-delivery';
import { useTestDatabase } from '../../support/db';
import { createUser, nextIp } from '../../support/factories';
import { accountHolder, approverFor, describeUnexpected, isExpectedError, keys, newAgent, rawTicket, rp, sessionFor, T0, UA, verifiedRecoveryChallenge } from './harness';

/**
 * Concurrency (docs/security.md rules 2, 6, 7, 10, 12): the same action submitted 50 times at once has
 * exactly one effect. Effects are counted in the database (rows, audit events, holds, webhooks),
 * not only in what the calls returned. Every refused copy must be refused with an answer the error
 * mapper knows (an AppError), never with a database or pool error that would become a 500.
 */

const { db, url } = await useTestDatabase();
const { hmacKey, encryptionKey } = keys;
const signInDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery };
const N = 50;

/** Starts `N` copies of the same request in the same tick and waits for all of them. */
async function burst<T>(work: (i: number) => Promise<T>) {
  const results = await Promise.allSettled(Array.from({ length: N }, (_, i) => work(i)));
  const won = results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value);
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  const unexpected = refused.filter((e) => !isExpectedError(e)).map(describeUnexpected);
  return { won, refused, unexpected };
}

function verification() {
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: () => T0, schedule: scheduler.schedule };
  return { deps, capture, scheduler };
}

async function auditCount(action: string, subjectId?: string) {
  return db.auditEvent.count({ where: { action, ...(subjectId ? { subjectId } : {}) } });
}

describe(`the same request ${N} times at once has exactly one effect`, () => {
  it('a recovery code: one verification, and the verified code starts one reset', async () => {
    const { deps, capture, scheduler } = verification();
    const user = await createUser(db);
    const { challengeId } = await startRecovery(deps, { identifier: user.email, ip: nextIp(), userAgent: UA });
    await scheduler.flush();
    const code = capture.lastCode()!;

    const verified = await burst(() => verifyCode(deps, { challengeId, code, ip: nextIp() }));
    expect(verified.unexpected).toEqual([]);
    expect(verified.won.filter((r) => r.status === 'verified')).toEqual([{ status: 'verified', userId: user.id }]);
    expect(verified.won.filter((r) => r.status === 'wrong')).toEqual([]);
    const row = await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId }, select: { consumedAt: true, attempts: true } });
    expect(row.consumedAt).toEqual(T0);
    expect(row.attempts).toBeLessThanOrEqual(5);

    const resets = await burst(() => beginReset({ db, now: T0 }, { challengeId, lostFactor: 'authenticator' }));
    expect(resets.unexpected).toEqual([]);
    expect(await db.recoveryReset.count({ where: { challengeId } })).toBe(1);
    expect(new Set(resets.won.map((r) => r.resetId)).size).toBe(1);
  });

  it('a signed-in device approval: one decision stands (approve and deny racing), and it becomes a proof once', async () => {
    const user = await createUser(db);
    const phone = await approverFor(db, user.id);
    const laptop = await approverFor(db, user.id);
    const resetDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery, now: T0 };
    const { resetId, resetToken } = await beginReset(resetDeps, { challengeId: await verifiedRecoveryChallenge(db, user.id), lostFactor: 'passkey' });
    const { number } = await askTrustedDevice(resetDeps, { resetToken, ip: nextIp(), userAgent: UA });
    const { deviceChallengeId: challengeId } = await db.recoveryReset.findUniqueOrThrow({ where: { id: resetId }, select: { deviceChallengeId: true } });

    // The owner approves on one device while someone holding the other denies, each many times.
    const decisions = await burst((i) =>
      decideApproval({ db, hmacKey, approver: i % 2 === 0 ? phone : laptop, challengeId: challengeId!, decision: i % 2 === 0 ? { approve: true, number } : { approve: false }, now: T0 }),
    );
    expect(decisions.unexpected).toEqual([]);
    expect(decisions.won).toHaveLength(1);
    const row = await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId! }, select: { approvedAt: true, deniedAt: true, approvedByDeviceId: true } });
    expect([row.approvedAt, row.deniedAt].filter(Boolean)).toHaveLength(1);
    expect([phone.deviceId, laptop.deviceId]).toContain(row.approvedByDeviceId);

    const polls = await burst(() => checkTrustedDevice(resetDeps, { resetToken }));
    expect(polls.unexpected).toEqual([]);
    const reset = await db.recoveryReset.findUniqueOrThrow({ where: { id: resetId }, select: { proofs: true, attempts: true } });
    expect(reset).toEqual(row.approvedAt ? { proofs: ['email_code', 'trusted_device'], attempts: 0 } : { proofs: ['email_code'], attempts: 1 });
  });

  it('an authenticator code: accepted once (rule 6), and a step-up with it renews the session once', async () => {
    const holder = await accountHolder(db, { authenticator: true });
    const code = holder.code(T0);
    const checks = await burst(() => verifyAuthenticatorCode({ db, encryptionKey, owner: { userId: holder.user.id }, code, now: T0 }));
    expect(checks.unexpected).toEqual([]);
    expect(checks.won.filter((r) => r.ok)).toHaveLength(1);
    expect(checks.won.filter((r) => !r.ok && r.reason !== 'replayed')).toEqual([]);

    // The next step's code, through the step-up use case.
    const later = new Date(T0.getTime() + 30_000);
    const session = await sessionFor(db, holder.user.id, T0);
    const stepped = await burst(() =>
      stepUp(signInDeps, { sessionId: session.id, userId: holder.user.id, factor: { kind: 'totp', code: holder.code(later) }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: later }),
    );
    expect(stepped.unexpected).toEqual([]);
    expect(stepped.won).toHaveLength(1);
    expect(await db.session.count({ where: { userId: holder.user.id, method: 'step-up:totp' } })).toBe(1);
    expect(await db.signInEvent.count({ where: { userId: holder.user.id, result: 'SUCCESS' } })).toBe(1);
  });

  it('a passkey assertion: one sign-in, one session, one counter update (rule 7)', async () => {
    const holder = await accountHolder(db, { passkey: true });
    const options = await startPasskeySignIn({ db, rp, now: T0, purpose: 'authenticate' });
    const response = holder.device.signIn(options, rp.origin);
    const signIns = await burst(() => signInWithPasskey(signInDeps, { response, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 }));
    expect(signIns.unexpected).toEqual([]);
    expect(signIns.won.map((s) => s.userId)).toEqual([holder.user.id]);
    expect(await db.session.count({ where: { userId: holder.user.id } })).toBe(1);
    expect(await db.signInEvent.count({ where: { userId: holder.user.id, result: 'SUCCESS' } })).toBe(1);
    expect(await db.webAuthnChallenge.count({ where: { challenge: options.challenge, consumedAt: { not: null } } })).toBe(1);
    expect((await db.passkeyCredential.findUniqueOrThrow({ where: { id: holder.passkeyId! }, select: { counter: true } })).counter).toBe(1n);
  });

  it('a two-proof reset completion: the new authenticator is bound once, one hold, one notice to the host', async () => {
    const holder = await accountHolder(db, { authenticator: true, passkey: true });
    const capture = capturingDelivery();
    const deps: ResetDeps = { db, encryptionKey, rp, delivery: capture.delivery, now: T0 };
    const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecoveryChallenge(db, holder.user.id), lostFactor: 'authenticator' });
    await proveWithPasskey(deps, { resetToken, response: holder.device.signIn(await passkeyProofOptions(deps, { resetToken }), rp.origin) });
    const setup = await beginAuthenticatorRebind(deps, { resetToken });
    const code = totp(base32Decode(setup.setupKey), { time: T0 });

    const finished = await burst(() => finishAuthenticatorRebind(deps, { resetToken, authenticatorId: setup.authenticatorId, code }));
    expect(finished.unexpected).toEqual([]);
    expect(finished.won).toHaveLength(1);
    expect(await db.authenticator.findMany({ where: { userId: holder.user.id }, select: { id: true, confirmedAt: true } })).toEqual([{ id: setup.authenticatorId, confirmedAt: T0 }]);
    expect(await db.securityHold.count({ where: { userId: holder.user.id } })).toBe(1);
    expect(await db.webhookDelivery.count({ where: { event: 'recovery.completed', payload: { path: ['accountId'], equals: holder.user.id } } })).toBe(1);
    expect(await auditCount('recovery.reset_completed', holder.user.id)).toBe(1);
    expect((await db.user.findUniqueOrThrow({ where: { id: holder.user.id }, select: { sessionVersion: true } })).sessionVersion).toBe(1);
  });

  it('a ticket reset link opened by 50 browsers at once: bound to one, starting one reset, the rest refused and audited', async () => {
    const user = await createUser(db);
    const agent = await newAgent(db);
    const ticket = await rawTicket(db, { userId: user.id, lostFactors: ['authenticator'] });
    const { token } = await db.$transaction(async (tx) => {
      await transitionTicket(tx, { ticketId: ticket.id, from: 'IN_REVIEW', to: 'APPROVED', actor: { kind: 'agent', agentId: agent.agentId }, now: T0 });
      return issueResetToken({ tx, hmacKey, ticketId: ticket.id, now: T0 });
    });
    const redeemed = await burst(() => beginTicketCompletion({ db, hmacKey, now: T0 }, { token, ip: nextIp() }));
    expect(redeemed.unexpected).toEqual([]);
    expect(redeemed.won).toHaveLength(1);
    expect(await db.recoveryReset.count({ where: { challengeId: ticket.id } })).toBe(1);
    expect(await auditCount('ticket.reset_link_redeemed', ticket.id)).toBe(1);
    expect(await auditCount('ticket.reset_link_refused', ticket.id)).toBe(N - 1);
  });

  it('a ticket transition: one status change, one history line, one audit event', async () => {
    const ticket = await rawTicket(db, { status: 'IN_REVIEW' });
    const agents = await Promise.all(Array.from({ length: 5 }, () => newAgent(db)));
    const moved = await burst((i) =>
      transitionTicket(db, { ticketId: ticket.id, from: 'IN_REVIEW', to: i % 3 === 0 ? 'REJECTED' : 'APPROVED', actor: { kind: 'agent', agentId: agents[i % 5]!.agentId }, now: T0 }),
    );
    expect(moved.unexpected).toEqual([]);
    expect(moved.won).toHaveLength(1);
    expect((await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { status: true } })).status).toBe(moved.won[0]!.to);
    expect(await db.ticketMessage.count({ where: { ticketId: ticket.id, kind: 'STATUS_CHANGE' } })).toBe(1);
    expect(await auditCount('ticket.status_changed', ticket.id)).toBe(1);
  });

  it('a console approval (low risk): approved once, and the reset behind it runs once', async () => {
    const user = await createUser(db);
    const agent = await newAgent(db);
    const ticket = await rawTicket(db, { userId: user.id, assigneeId: agent.agentId, lostFactors: ['authenticator'] });
    const capture = capturingDelivery();
    // No owner cancel window (rule 27) here: this is about one approval running one reset.
    const approved = await burst(() =>
      approveTicket({ db, agent, ticketId: ticket.id, now: T0, ip: nextIp(), delivery: capture.delivery, hmacKey, appUrl: 'https://help.regain.test', cancelWindowHours: 0 }),
    );
    expect(approved.unexpected).toEqual([]);
    expect(approved.won).toHaveLength(1);
    // The link is issued and mailed by its job once the reset committed; the reset's own job finds it applied.
    await runDueJobs({ connectionString: url, taskList: ticketResetTasks({ db, delivery: capture.delivery, hmacKey, appUrl: 'https://help.regain.test', cancelWindowHours: 0, now: () => T0 }) });
    expect(await db.ticketMessage.count({ where: { ticketId: ticket.id, kind: 'STATUS_CHANGE' } })).toBe(1);
    expect(await auditCount('ticket.reset_link_issued', ticket.id)).toBe(1);
    expect(await auditCount('recovery.ticket_reset_applied', ticket.id)).toBe(1);
    expect(await db.securityHold.count({ where: { userId: user.id } })).toBe(1);
    expect(capture.sent.filter((m) => m.purpose === 'ticket-approved')).toHaveLength(1);
  });

  it('a four-eyes confirmation (high risk) by two supervisors at once: confirmed once, one reset', async () => {
    const user = await createUser(db);
    const first = await newAgent(db);
    const supervisors = [await newAgent(db, 'SUPERVISOR'), await newAgent(db, 'SUPERVISOR')];
    const ticket = await rawTicket(db, { userId: user.id, assigneeId: first.agentId, risk: 'HIGH', approvedById: first.agentId, lostFactors: ['authenticator'] });
    const capture = capturingDelivery();
    const confirmed = await burst((i) =>
      confirmApproval({ db, agent: supervisors[i % 2]!, ticketId: ticket.id, now: T0, ip: nextIp(), delivery: capture.delivery, hmacKey, appUrl: 'https://help.regain.test', cancelWindowHours: 0 }),
    );
    expect(confirmed.unexpected).toEqual([]);
    expect(confirmed.won).toHaveLength(1);
    const row = await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { status: true, approvedById: true, confirmedById: true } });
    expect(row).toMatchObject({ status: 'APPROVED', approvedById: first.agentId });
    expect(supervisors.map((s) => s.agentId)).toContain(row.confirmedById);
    expect(await auditCount('recovery.ticket_reset_applied', ticket.id)).toBe(1);
    expect(await db.securityHold.count({ where: { userId: user.id } })).toBe(1);
  });

  it('a claim by many agents at once: one assignee', async () => {
    const ticket = await rawTicket(db, { status: 'SUBMITTED' });
    const agents = await Promise.all(Array.from({ length: 10 }, () => newAgent(db)));
    const claimed = await burst((i) => claimTicket({ db, agent: agents[i % 10]!, ticketId: ticket.id, now: T0, ip: nextIp() }));
    expect(claimed.unexpected).toEqual([]);
    expect(claimed.won).toHaveLength(1);
    expect(await db.ticketMessage.count({ where: { ticketId: ticket.id, kind: 'STATUS_CHANGE' } })).toBe(1);
    expect(await auditCount('ticket.claimed', ticket.id)).toBe(1);
  });

  it('a ticket status code: one verification', async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const ticket = await rawTicket(db);
    const { challengeId } = await requestStatusCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference: ticket.reference, email: ticket.contactEmail, ip: nextIp(), now: T0 });
    await scheduler.flush();
    const code = capture.lastCode()!;
    const verified = await burst(() => verifyStatusCode({ db, hmacKey, challengeId, code, ip: nextIp(), now: T0 }));
    expect(verified.unexpected).toEqual([]);
    expect(verified.won.filter((r) => r.status === 'verified')).toEqual([{ status: 'verified', ticketId: ticket.id }]);
    expect(await auditCount('ticket.status_code_verified', ticket.id)).toBe(1);
  });

  it('a video-call join with both codes: the link is handed out once', async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const holder = await accountHolder(db, { authenticator: true });
    const agent = await newAgent(db);
    const ticket = await rawTicket(db, { userId: holder.user.id });
    await db.videoAppointment.create({ data: { ticketId: ticket.id, agentId: agent.agentId, startsAt: new Date(T0.getTime() + 60_000), endsAt: new Date(T0.getTime() + 1_800_000), meetingUrl: 'https://meet.jit.si/regain-once' } });
    const { challengeId } = await requestJoinCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference: ticket.reference, ip: nextIp(), now: T0 });
    await scheduler.flush();
    const emailCode = capture.lastCode()!;
    const joined = await burst(() => joinAppointment({ db, hmacKey, encryptionKey, challengeId, emailCode, authenticatorCode: holder.code(T0), ip: nextIp(), now: T0 }));
    expect(joined.unexpected).toEqual([]);
    expect(joined.won).toHaveLength(1);
    expect(await auditCount('ticket.appointment_joined', ticket.id)).toBe(1);
    expect(await db.videoAppointment.count({ where: { ticketId: ticket.id, joinedAt: { not: null } } })).toBe(1);
  });
});
