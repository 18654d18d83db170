import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { beginAuthenticatorSetup } from '@/lib/authenticator';
import {
  addInternalNote,
  approveTicket,
  assignTicket,
  claimTicket,
  confirmApproval,
  getTicketForAgent,
  openDocumentForAgent,
  rejectTicket,
  requestInfo,
  scheduleVideoCall,
  type ConsoleAgentRef,
} from '@/lib/recovery/console';
import { inspectUpload, readDocument, storeDocument } from '@/lib/recovery/documents';
import {
  beginAuthenticatorRebind,
  beginReset,
  finishAuthenticatorRebind,
  getResetView,
  passkeyProofOptions,
  proveWithPasskey,
  type ResetDeps,
} from '@/lib/recovery/resets';
import { requestJoinCode } from '@/lib/recovery/tickets/appointments';
import { requestStatusCode, verifyStatusCode } from '@/lib/recovery/tickets';
import { renameOwnPasskey, removePasskey, reportUnrecognisedPasskey, signOutDevice, type Actor, type ChangeDeps } from '@/lib/sessions/changes';
import { createTrustedDevice } from '@/lib/sessions/devices';
import { assertRecentAuth, stepUp } from '@/lib/sessions/sign-in';
import { decideApproval, listApprovalRequests } from '@/lib/sessions/approvals';
import { startRecovery, verifyCode, type VerificationDeps } from '@/lib/verification/challenges';
import { capturingDelivery, collectingScheduler } from '../../support/capturing-delivery';
import { useTestDatabase } from '../../support/db';
import { createUser, nextIp } from '../../support/factories';
import { jpeg } from '../../support/images';
import { SoftAuthenticator } from '../../support/soft-authenticator';
import {
  accountHolder,
  approverFor,
  keys,
  MEETING_TEMPLATE,
  newAgent,
  outcome,
  pendingApproval,
  publicAnswer,
  rawTicket,
  registerPasskey,
  rp,
  sessionFor,
  T0,
  UA,
  verifiedRecoveryChallenge,
} from './harness';

/**
 * IDOR sweep (docs/security.md rule 12; docs/architecture.md example 3): every use case that takes an id
 * refuses an id that belongs to someone else with exactly the answer it gives for an id that does
 * not exist (same status, code and words), so ids can neither be used nor probed, and the other
 * owner's data is left as it was.
 */

const { db } = await useTestDatabase();
const { hmacKey, encryptionKey } = keys;
const signInDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery };

/** The public answer of a call that must be refused. */
async function refusal(work: () => Promise<unknown>) {
  const result = await outcome(work);
  expect(result.ok, 'expected the call to be refused').toBe(false);
  return publicAnswer((result as { error: unknown }).error);
}

/** Refused, and refused exactly like the unknown id. */
async function expectSameAsUnknown(foreign: () => Promise<unknown>, unknown: () => Promise<unknown>) {
  const [a, b] = [await refusal(foreign), await refusal(unknown)];
  expect(a.status, 'never a 500').not.toBe(500);
  expect(a).toEqual(b);
  return a;
}

/** Two account holders, each signed in (freshly) on a trusted device, each with an authenticator app and two passkeys. */
async function twoOwners() {
  const make = async () => {
    const holder = await accountHolder(db, { authenticator: true, passkey: true });
    const spare = await registerPasskey(db, holder.user.id, new SoftAuthenticator({ kind: 'security_key' }));
    const trusted = await createTrustedDevice({ db, hmacKey, userId: holder.user.id, name: 'Phone' });
    const session = await sessionFor(db, holder.user.id, T0, trusted.device.id);
    const actor: Actor = { userId: holder.user.id, sessionId: session.id, ip: nextIp(), userAgent: UA };
    return { ...holder, spareId: spare.passkey.id, trusted, session, actor };
  };
  return { a: await make(), b: await make() };
}

function changeDeps(): ChangeDeps {
  return { db, ...keys, rp, delivery: capturingDelivery().delivery, now: T0 };
}

// ───────────────────────────── The security center ─────────────────────────────

describe('account holders: another owner’s id answers like an unknown id (rule 12)', () => {
  it('renaming, removing and reporting a passkey', async () => {
    const { a, b } = await twoOwners();
    const deps = changeDeps();
    const before = await db.passkeyCredential.findMany({ where: { userId: b.user.id }, orderBy: { id: 'asc' } });

    await expectSameAsUnknown(
      () => renameOwnPasskey(deps, a.actor, { passkeyId: b.passkeyId!, name: 'mine now' }),
      () => renameOwnPasskey(deps, a.actor, { passkeyId: randomUUID(), name: 'mine now' }),
    );
    await expectSameAsUnknown(
      () => removePasskey(deps, a.actor, { passkeyId: b.passkeyId! }),
      () => removePasskey(deps, a.actor, { passkeyId: randomUUID() }),
    );
    await expectSameAsUnknown(
      () => reportUnrecognisedPasskey(deps, a.actor, { passkeyId: b.spareId }),
      () => reportUnrecognisedPasskey(deps, a.actor, { passkeyId: randomUUID() }),
    );

    expect(await db.passkeyCredential.findMany({ where: { userId: b.user.id }, orderBy: { id: 'asc' } })).toEqual(before);
    // The refused report ended no session and started no hold, for either person.
    expect(await db.session.count({ where: { userId: { in: [a.user.id, b.user.id] }, revokedAt: { not: null } } })).toBe(0);
    expect(await db.securityHold.count({ where: { userId: { in: [a.user.id, b.user.id] } } })).toBe(0);
    expect(await db.webhookDelivery.count({ where: { payload: { path: ['accountId'], equals: b.user.id } } })).toBe(0);
  });

  it('signing out a device', async () => {
    const { a, b } = await twoOwners();
    const deps = changeDeps();
    await expectSameAsUnknown(
      () => signOutDevice(deps, a.actor, { deviceId: b.trusted.device.id }),
      () => signOutDevice(deps, a.actor, { deviceId: randomUUID() }),
    );
    expect(await db.trustedDevice.findUniqueOrThrow({ where: { id: b.trusted.device.id }, select: { revokedAt: true } })).toEqual({ revokedAt: null });
    expect(await db.session.findUniqueOrThrow({ where: { id: b.session.id }, select: { revokedAt: true } })).toEqual({ revokedAt: null });
  });

  it('deciding a signed-in device approval, and listing requests', async () => {
    const { a, b } = await twoOwners();
    const { challengeId, number } = await pendingApproval(db, b.user.id);
    const approver = { userId: a.user.id, sessionId: a.session.id, deviceToken: a.trusted.token };

    expect(await listApprovalRequests({ db, hmacKey, approver, now: T0 })).toEqual([]);
    await expectSameAsUnknown(
      () => decideApproval({ db, hmacKey, approver, challengeId, decision: { approve: true, number }, now: T0 }),
      () => decideApproval({ db, hmacKey, approver, challengeId: randomUUID(), decision: { approve: true, number }, now: T0 }),
    );
    await expectSameAsUnknown(
      () => decideApproval({ db, hmacKey, approver, challengeId, decision: { approve: false }, now: T0 }),
      () => decideApproval({ db, hmacKey, approver, challengeId: randomUUID(), decision: { approve: false }, now: T0 }),
    );
    // Nor with b's session id beside a's device (a mixed-up cookie pair).
    await expect(decideApproval({ db, hmacKey, approver: { ...approver, sessionId: b.session.id }, challengeId, decision: { approve: true, number }, now: T0 })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId }, select: { approvedAt: true, deniedAt: true } })).toEqual({ approvedAt: null, deniedAt: null });
  });

  it('step-up and fresh-authentication checks with another person’s session id', async () => {
    const { a, b } = await twoOwners();
    await expectSameAsUnknown(
      () => stepUp(signInDeps, { sessionId: b.session.id, userId: a.user.id, factor: { kind: 'totp', code: a.code(T0) }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 }),
      () => stepUp(signInDeps, { sessionId: randomUUID(), userId: a.user.id, factor: { kind: 'totp', code: a.code(T0) }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 }),
    );
    await expectSameAsUnknown(
      () => assertRecentAuth(db, { sessionId: b.session.id, userId: a.user.id, now: T0 }),
      () => assertRecentAuth(db, { sessionId: randomUUID(), userId: a.user.id, now: T0 }),
    );
    expect(await db.session.findUniqueOrThrow({ where: { id: b.session.id }, select: { revokedAt: true } })).toEqual({ revokedAt: null });
  });
});

// ───────────────────────────── Resets ─────────────────────────────

describe('factor resets: another person’s factor cannot complete my reset', () => {
  it('binding someone else’s pending authenticator answers like an unknown one and binds nothing', async () => {
    const { a, b } = await twoOwners();
    const deps: ResetDeps = { db, encryptionKey, rp, delivery: capturingDelivery().delivery, now: T0 };
    const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecoveryChallenge(db, a.user.id), lostFactor: 'authenticator' });
    await proveWithPasskey(deps, { resetToken, response: a.device.signIn(await passkeyProofOptions(deps, { resetToken }), rp.origin) });
    await beginAuthenticatorRebind(deps, { resetToken });
    // B is halfway through adding an app of their own; its id and a right code reach the attacker.
    const theirs = await beginAuthenticatorSetup({ db, encryptionKey, owner: { userId: b.user.id }, accountName: b.user.email });
    const theirCode = totp(base32Decode(theirs.setupKey), { time: T0 });
    await expectSameAsUnknown(
      () => finishAuthenticatorRebind(deps, { resetToken, authenticatorId: theirs.authenticatorId, code: theirCode }),
      () => finishAuthenticatorRebind(deps, { resetToken, authenticatorId: randomUUID(), code: theirCode }),
    );
    expect(await db.authenticator.findUniqueOrThrow({ where: { id: theirs.authenticatorId }, select: { userId: true, confirmedAt: true } })).toEqual({ userId: b.user.id, confirmedAt: null });
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'bind' });
  });

  it('someone else’s passkey is no proof for my reset', async () => {
    const { a, b } = await twoOwners();
    const deps: ResetDeps = { db, encryptionKey, rp, delivery: capturingDelivery().delivery, now: T0 };
    const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecoveryChallenge(db, a.user.id), lostFactor: 'authenticator' });
    const options = await passkeyProofOptions(deps, { resetToken });
    // A browser would not offer B's passkey (allowCredentials lists only A's); an attacker's client would.
    const foreign = await refusal(() => proveWithPasskey(deps, { resetToken, response: b.device.signIn(options, rp.origin, { ignoreAllowList: true }) }));
    const garbage = await refusal(() => proveWithPasskey(deps, { resetToken, response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} } }));
    expect([foreign.status, foreign.body.error.code]).toEqual([garbage.status, garbage.body.error.code]);
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'prove', proved: ['email_code'] });
  });

  it('ids that are bearer capabilities in a cookie (challenges, resets) are random UUIDv4, not time-ordered', async () => {
    const capture = capturingDelivery();
    const deps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: () => T0, schedule: collectingScheduler().schedule };
    const holder = await accountHolder(db, { authenticator: true });
    const { challengeId } = await startRecovery(deps, { identifier: holder.user.email, ip: nextIp(), userAgent: UA });
    const { resetToken } = await beginReset({ db, now: T0 }, { challengeId: await verifiedRecoveryChallenge(db, holder.user.id), lostFactor: 'passkey' });
    const status = await requestStatusCode({ db, hmacKey, delivery: capture.delivery, reference: (await rawTicket(db)).reference, email: 'x@example.com', ip: nextIp(), now: T0 });
    for (const id of [challengeId, status.challengeId]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A reset's cookie holds a 256-bit secret; its id is a public reference (rule 26).
    expect(resetToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

// ───────────────────────────── Ticket codes ─────────────────────────────

describe('ticket codes: a code opens only the ticket and purpose it was issued for', () => {
  it('a status code for another ticket, a video-call code and a recovery code open nothing', async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const mine = await rawTicket(db);
    const theirs = await rawTicket(db);
    const request = async (reference: string, email: string) => {
      const r = await requestStatusCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference, email, ip: nextIp(), now: T0 });
      await scheduler.flush();
      return r;
    };
    const verify = (challengeId: string, code: string) => verifyStatusCode({ db, hmacKey, challengeId, code, ip: nextIp(), now: T0 });

    // Their reference with my (real, reachable) address: a decoy, no mail to anyone.
    const crossed = await request(theirs.reference, mine.contactEmail);
    expect(capture.sent).toHaveLength(0);
    const myRequest = await request(mine.reference, mine.contactEmail);
    const myCode = capture.lastCode()!;
    expect(await verify(crossed.challengeId, myCode)).toEqual({ status: 'wrong', attemptsLeft: 4 });

    // A video-call challenge and a recovery challenge, each with its right code, open no status page.
    const user = await createUser(db);
    const agent = await newAgent(db);
    const booked = await rawTicket(db, { userId: user.id });
    await db.videoAppointment.create({ data: { ticketId: booked.id, agentId: agent.agentId, startsAt: new Date(T0.getTime() + 3_600_000), endsAt: new Date(T0.getTime() + 5_400_000), meetingUrl: 'https://meet.jit.si/regain-idor' } });
    const video = await requestJoinCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference: booked.reference, ip: nextIp(), now: T0 });
    await scheduler.flush();
    const videoCode = capture.lastCode()!;
    const vdeps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: () => T0, schedule: scheduler.schedule };
    const recovery = await startRecovery(vdeps, { identifier: user.email, ip: nextIp(), userAgent: UA });
    await scheduler.flush();
    const recoveryCode = capture.lastCode()!;
    const unknown = await verify(randomUUID(), '123456');
    expect(await verify(video.challengeId, videoCode)).toEqual(unknown);
    expect(await verify(recovery.challengeId, recoveryCode)).toEqual(unknown);
    // And a status code is no recovery proof.
    expect(await verifyCode(vdeps, { challengeId: myRequest.challengeId, code: myCode, ip: nextIp() })).toEqual(await verifyCode(vdeps, { challengeId: randomUUID(), code: myCode, ip: nextIp() }));
    // The right code still opens my own ticket, and only mine.
    expect(await verify(myRequest.challengeId, myCode)).toEqual({ status: 'verified', ticketId: mine.id });
  });
});

// ───────────────────────────── Documents and the console ─────────────────────────────

const idImage = await inspectUpload({ bytes: await jpeg(1000, 700), kind: 'ID_FRONT' });
if (!idImage.ok) throw new Error(idImage.message);
const { image, checkResult } = idImage;

describe('documents and console use cases: another ticket’s id answers like an unknown id', () => {
  async function ticketWithDocument(assignee: ConsoleAgentRef | null, options: Parameters<typeof rawTicket>[1] = {}) {
    const user = await accountHolder(db, { authenticator: true });
    const ticket = await rawTicket(db, { userId: user.user.id, assigneeId: assignee?.agentId ?? null, ...options });
    const doc = await storeDocument({ db, masterKey: encryptionKey, ticketId: ticket.id, kind: 'ID_FRONT', image, checkResult, now: T0 });
    return { ...ticket, documentId: doc.id };
  }
  const views = (documentId: string) => db.auditEvent.count({ where: { action: 'document.viewed', subjectId: documentId } });

  it('reading a document through another ticket', async () => {
    const mine = await ticketWithDocument(null);
    const theirs = await ticketWithDocument(null);
    const viewer = { actorType: 'AGENT' as const, actorId: null, ip: nextIp(), userAgent: UA };
    await expectSameAsUnknown(
      () => readDocument({ db, masterKey: encryptionKey, ticketId: mine.id, documentId: theirs.documentId, viewer, now: T0 }),
      () => readDocument({ db, masterKey: encryptionKey, ticketId: mine.id, documentId: randomUUID(), viewer, now: T0 }),
    );
    expect(await views(theirs.documentId)).toBe(0);
  });

  it('opening a document in the console: another ticket’s document, and a ticket that is not mine', async () => {
    const agent = await newAgent(db);
    const mine = await ticketWithDocument(agent);
    const theirs = await ticketWithDocument(await newAgent(db));
    const open = (ticketId: string, documentId: string) => () => openDocumentForAgent({ db, masterKey: encryptionKey, agent, ticketId, documentId, now: T0, ip: nextIp() });
    await expectSameAsUnknown(open(mine.id, theirs.documentId), open(mine.id, randomUUID()));
    await expectSameAsUnknown(open(theirs.id, theirs.documentId), open(randomUUID(), theirs.documentId));
    expect(await views(theirs.documentId)).toBe(0);
    // The agent's own document opens (the refusals were about ownership, not a broken fixture).
    expect((await openDocumentForAgent({ db, masterKey: encryptionKey, agent, ticketId: mine.id, documentId: mine.documentId, now: T0 })).watermarked).toBe(true);
  });

  it('every console use case, for a ticket assigned to someone else', async () => {
    const agent = await newAgent(db);
    const colleague = await newAgent(db);
    const decision = { delivery: capturingDelivery().delivery, hmacKey, appUrl: 'https://help.regain.test', schedule: collectingScheduler().schedule };
    const uses: [string, (ticketId: string) => Promise<unknown>][] = [
      ['getTicketForAgent', (ticketId) => getTicketForAgent({ db, agent, ticketId, now: T0 })],
      ['claimTicket', (ticketId) => claimTicket({ db, agent, ticketId, now: T0 })],
      ['assignTicket', (ticketId) => assignTicket({ db, agent, ticketId, assigneeId: agent.agentId, now: T0 })],
      ['addInternalNote', (ticketId) => addInternalNote({ db, agent, ticketId, body: 'looks fine', now: T0 })],
      ['requestInfo', (ticketId) => requestInfo({ db, agent, ticketId, body: 'Please send a clearer photo.', now: T0, ...decision })],
      ['scheduleVideoCall', (ticketId) => scheduleVideoCall({ db, agent, ticketId, now: T0, ...decision, startsAt: new Date(T0.getTime() + 3_600_000), endsAt: new Date(T0.getTime() + 5_400_000), meetingUrlTemplate: MEETING_TEMPLATE })],
      ['approveTicket', (ticketId) => approveTicket({ db, agent, ticketId, now: T0, ...decision })],
      ['confirmApproval', (ticketId) => confirmApproval({ db, agent, ticketId, now: T0, ...decision })],
      ['rejectTicket', (ticketId) => rejectTicket({ db, agent, ticketId, now: T0, ...decision, reason: 'suspected_fraud', note: 'not convinced' })],
      ['openDocumentForAgent', (ticketId) => openDocumentForAgent({ db, masterKey: encryptionKey, agent, ticketId, documentId: randomUUID(), now: T0 })],
    ];
    for (const [name, use] of uses) {
      const theirs = await ticketWithDocument(colleague);
      const state = async () => ({
        ticket: await db.recoveryTicket.findUniqueOrThrow({ where: { id: theirs.id }, select: { status: true, assigneeId: true, approvedById: true, confirmedById: true, resetTokenHash: true } }),
        messages: await db.ticketMessage.count({ where: { ticketId: theirs.id } }),
        appointments: await db.videoAppointment.count({ where: { ticketId: theirs.id } }),
        views: await db.auditEvent.count({ where: { action: { in: ['ticket.viewed', 'document.viewed'] }, OR: [{ subjectId: theirs.id }, { subjectId: theirs.documentId }] } }),
      });
      const before = await state();
      const answer = await expectSameAsUnknown(() => use(theirs.id), () => use(randomUUID()));
      expect(answer.status, name).toBe(404);
      expect(await state(), name).toEqual(before);
    }
  });
});

