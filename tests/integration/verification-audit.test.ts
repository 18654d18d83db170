import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { askTrustedDevice, beginReset, type ResetDeps } from '@/lib/recovery/resets';
import { createTrustedDevice } from '@/lib/sessions/devices';
import { decideApproval, listApprovalRequests } from '@/lib/sessions/approvals';
import { startRecovery, verifyCode, type VerificationDeps } from '@/lib/verification/challenges';
import { CODE_FAILURES } from '@/lib/verification/policy';
import { capturingDelivery, collectingScheduler, fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';

/**
 * docs/security.md rule 20: verification events are on the audit log, with the requester (anonymous,
 * address and browser) as the actor, and no bearer value in any line (rule 26). Known and unknown
 * identifiers leave lines of the same shape (rule 13).
 */
const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/142.0';

function setup() {
  const clock = fixedClock('2026-05-01T10:00:00Z');
  const scheduler = collectingScheduler();
  const capture = capturingDelivery();
  const deps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: clock.now, schedule: scheduler.schedule, newCode: () => '424242' };
  return { deps, capture, scheduler };
}

async function linesFor(action: string, where: { subjectId?: string | null; ip?: string } = {}) {
  return db.auditEvent.findMany({ where: { action, ...where }, orderBy: { seq: 'asc' } });
}

const keysOf = (row: { data: unknown }) => Object.keys(row.data as object).sort();
/** Everything a line says, as text, to look for values that must never be in it. */
const text = (row: object) => JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));

describe('recovery starts and code tries are audited (docs/security.md rules 20, 26, 13)', () => {
  it('a start is recorded for known and unknown identifiers alike, the requester as actor, no challenge id', async () => {
    const { deps } = setup();
    const user = await createUser(db);
    const knownIp = nextIp();
    const unknownIp = nextIp();
    const known = await startRecovery(deps, { identifier: user.email, ip: knownIp, userAgent: UA });
    const unknown = await startRecovery(deps, { identifier: `nobody-${randomUUID()}@example.com`, ip: unknownIp, userAgent: UA });

    const [knownLine] = await linesFor('recovery.started', { ip: knownIp });
    const [unknownLine] = await linesFor('recovery.started', { ip: unknownIp });
    expect(knownLine).toMatchObject({ actorType: 'ANONYMOUS', actorId: null, subjectType: 'user', subjectId: user.id, ip: knownIp, userAgent: UA });
    expect(unknownLine).toMatchObject({ actorType: 'ANONYMOUS', actorId: null, subjectType: 'user', subjectId: null, ip: unknownIp, userAgent: UA });
    expect(keysOf(knownLine!)).toEqual(keysOf(unknownLine!));
    for (const [line, challengeId] of [[knownLine!, known.challengeId], [unknownLine!, unknown.challengeId]] as const) {
      expect(text(line)).not.toContain(challengeId);
      expect(text(line)).not.toContain(user.email);
    }
  });

  it('wrong codes, a used-up challenge and a right code are recorded; a decoy’s wrong code looks the same', async () => {
    const { deps, scheduler } = setup();
    const user = await createUser(db);
    const ip = nextIp();
    const real = await startRecovery(deps, { identifier: user.email, ip, userAgent: UA });
    const decoy = await startRecovery(deps, { identifier: `ghost-${randomUUID()}@example.com`, ip, userAgent: UA });
    await scheduler.flush();
    expect(await verifyCode(deps, { challengeId: real.challengeId, code: '000000', ip, userAgent: UA })).toMatchObject({ status: 'wrong' });
    expect(await verifyCode(deps, { challengeId: decoy.challengeId, code: '000000', ip, userAgent: UA })).toMatchObject({ status: 'wrong' });
    const failed = await linesFor('recovery.code_failed', { ip });
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ actorType: 'ANONYMOUS', subjectId: user.id, userAgent: UA, data: { attemptsLeft: 4 } });
    expect(failed[1]).toMatchObject({ actorType: 'ANONYMOUS', subjectId: null, userAgent: UA, data: { attemptsLeft: 4 } });
    expect(keysOf(failed[0]!)).toEqual(keysOf(failed[1]!));
    for (const line of failed) expect(text(line)).not.toMatch(new RegExp(`${real.challengeId}|${decoy.challengeId}`));

    for (let i = 0; i < 4; i++) await verifyCode(deps, { challengeId: decoy.challengeId, code: '000000', ip, userAgent: UA });
    expect(await linesFor('recovery.challenge_locked', { ip })).toHaveLength(1);

    const code = '424242';
    expect(await verifyCode(deps, { challengeId: real.challengeId, code, ip, userAgent: UA })).toMatchObject({ status: 'verified' });
    const [verified] = await linesFor('recovery.code_verified', { ip });
    expect(verified).toMatchObject({ actorType: 'ANONYMOUS', subjectId: user.id });
    expect(text(verified!)).not.toContain(code);
  });

  it('a failure lock is recorded with the guessing client as actor', async () => {
    const { deps } = setup();
    const user = await createUser(db);
    const ip = nextIp();
    let locked = false;
    // Wrong codes from one client across fresh challenges until its own budget runs out.
    for (let tries = 0; tries < CODE_FAILURES.perClient.limit + 2 && !locked; ) {
      const { challengeId } = await startRecovery(deps, { identifier: user.email, ip: nextIp(), userAgent: UA });
      for (let i = 0; i < 5 && !locked; i++, tries++) {
        locked = await verifyCode(deps, { challengeId, code: '000000', ip }).then(
          () => false,
          () => true,
        );
      }
    }
    expect(locked).toBe(true);
    const [line] = await linesFor('failures.locked', { ip });
    expect(line).toMatchObject({ actorType: 'ANONYMOUS', actorId: null, subjectType: 'failure_subject', data: { tier: 'client', strikes: 1 } });
    expect(line!.subjectId).toMatch(/^verify:/);
  });
});

describe('device approvals are audited (docs/security.md rules 20, 22, 26)', () => {
  it('the request names the requester as actor; the decision names the approver and its device', async () => {
    const user = await createUser(db, { phone: '+447700900555' });
    const challenge = await db.verificationChallenge.create({
      data: { id: randomUUID(), purpose: 'RECOVERY', userId: user.id, identifierHash: new Uint8Array(randomBytes(32)), channel: 'SMS', verifiedChannel: 'SMS', expiresAt: new Date(Date.now() + 600_000), consumedAt: new Date(Date.now() - 10_000) },
    });
    const trusted = await createTrustedDevice({ db, hmacKey, userId: user.id, name: 'Laptop' });
    const session = await db.session.create({ data: { userId: user.id, deviceId: trusted.device.id, method: 'passkey', authAt: new Date(Date.now() - 60_000), expiresAt: new Date(Date.now() + 3600_000) } });
    const deps: ResetDeps = { db, encryptionKey: randomBytes(32), rp: { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' }, delivery: capturingDelivery().delivery, now: new Date() };
    const { resetToken } = await beginReset(deps, { challengeId: challenge.id, lostFactor: 'passkey' });
    const { number } = await askTrustedDevice(deps, { resetToken, ip: '203.0.113.77', userAgent: UA });

    const [requested] = await linesFor('approval.requested', { subjectId: user.id });
    expect(requested).toMatchObject({ actorType: 'ANONYMOUS', actorId: null, ip: '203.0.113.77', userAgent: UA, data: { change: 'passkey' } });
    const approver = { userId: user.id, sessionId: session.id, deviceToken: trusted.token };
    const [request] = await listApprovalRequests({ db, hmacKey, approver, now: new Date() });
    expect(text(requested!)).not.toContain(request!.challengeId);

    await decideApproval({ db, hmacKey, approver, challengeId: request!.challengeId, decision: { approve: true, number }, now: new Date(), ip: '198.51.100.4', userAgent: UA });
    const [approved] = await linesFor('approval.approved', { subjectId: user.id });
    expect(approved).toMatchObject({ actorType: 'USER', actorId: user.id, ip: '198.51.100.4', data: { deviceId: trusted.device.id } });
    expect(text(approved!)).not.toContain(request!.challengeId);
    expect(text(approved!)).not.toContain(resetToken);
  });
});
