import { randomInt } from 'node:crypto';
import { recordAudit } from '@/lib/audit';
import { keyedHash, logReference } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { isUuid } from '@/lib/db/ids';
import { AppError } from '@/lib/errors';
import { describeUserAgent, shortenIp } from '@/lib/http/describe';
import { APPROVAL_TTL_SECONDS, APPROVER_FRESH_MINUTES } from '@/lib/verification/policy';
import { findApprover } from './devices';

/**
 * "Approve on a device where I'm signed in" (docs/security.md rule 22). A request can only be made by
 * a reset that already holds a verified code, so an approval is never a first proof. It names the
 * change it would allow, is decided one request at a time, and uses number matching: the
 * requesting screen shows a number and the approver must pick it from three, so a blind or
 * fatigued tap approves nothing. Only a browser with a live session that authenticated in the last
 * 15 minutes (or steps up now) may approve.
 */
export type ApprovalChange = 'passkey' | 'authenticator' | 'phone' | 'email';
const CHANGES: readonly ApprovalChange[] = ['passkey', 'authenticator', 'phone', 'email'];

export type ApprovalRequest = {
  challengeId: string;
  change: ApprovalChange;
  requestedAt: string;
  expiresAt: string;
  /** The numbers to pick from: one is on the requesting screen. */
  choices: number[];
  /** "Chrome on Windows": what the requesting browser says it is (it could lie). */
  reportedBrowser: string;
  /** The requester's network as this server saw it, shortened: "203.0.113.x". */
  network: string;
};

export type Approver = { userId: string; sessionId: string; deviceToken: string | undefined };

/** Two-digit numbers: easy to read aloud and compare, 1 in 3 for a blind guess. */
const MATCH_MIN = 10;
const MATCH_MAX = 99;

/**
 * Opens a request on the account's signed-in devices. `withdraw` ends the earlier request of the
 * same flow. Runs inside the caller's transaction.
 */
export async function requestApproval(
  db: Prisma.TransactionClient,
  input: { userId: string; resetId: string; change: ApprovalChange; ip: string | null; userAgent: string | null; now: Date; withdraw?: string | null },
): Promise<{ challengeId: string; number: number }> {
  if (input.withdraw) {
    await db.verificationChallenge.updateMany({ where: { id: input.withdraw, approvedAt: null, deniedAt: null }, data: { expiresAt: input.now } });
  }
  const number = randomInt(MATCH_MIN, MATCH_MAX + 1);
  const request = await db.verificationChallenge.create({
    data: {
      purpose: 'RESET_APPROVAL',
      userId: input.userId,
      // The reset it would prove a factor for is its subject (docs/security.md rule 2).
      subjectType: 'RESET',
      subjectId: input.resetId,
      channel: 'TRUSTED_DEVICE',
      destinationMasked: 'your signed-in devices',
      maxAttempts: 1,
      approvalNumber: number,
      approvalChange: input.change,
      requestIp: input.ip,
      requestUserAgent: input.userAgent?.slice(0, 300) ?? null,
      expiresAt: new Date(input.now.getTime() + APPROVAL_TTL_SECONDS * 1000),
      createdAt: input.now,
    },
    select: { id: true },
  });
  // Rule 20: the person asking (not yet anyone, so anonymous, with their address and browser) is
  // the actor; the account is the subject. The request id is a bearer value and stays out (rule 26).
  await recordAudit(db, {
    actorType: 'ANONYMOUS',
    action: 'approval.requested',
    subjectType: 'user',
    subjectId: input.userId,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    data: { change: input.change, withdrewEarlier: Boolean(input.withdraw) },
    occurredAt: input.now,
  });
  return { challengeId: request.id, number };
}

const notThisDevice = () =>
  new AppError({ code: 'unauthorized', userMessage: 'This device is not signed in to your account, so it cannot approve requests. Sign in on it first.' });
const gone = () => new AppError({ code: 'conflict', userMessage: 'This request is no longer waiting for a decision.' });

const pendingWhere = (userId: string, now: Date) =>
  ({ userId, purpose: 'RESET_APPROVAL', channel: 'TRUSTED_DEVICE', approvedAt: null, deniedAt: null, consumedAt: null, expiresAt: { gt: now } }) as const;

/** Pending requests for the account signed in on this browser. */
export async function listApprovalRequests(options: { db: Db; hmacKey: Buffer; approver: Approver; now: Date }): Promise<ApprovalRequest[]> {
  const approver = await findApprover(options.db, options.hmacKey, { ...options.approver, now: options.now });
  if (!approver) throw notThisDevice();
  const pending = await options.db.verificationChallenge.findMany({
    where: pendingWhere(approver.userId, options.now),
    select: { id: true, createdAt: true, expiresAt: true, requestIp: true, requestUserAgent: true, approvalNumber: true, approvalChange: true },
    orderBy: { createdAt: 'desc' },
  });
  return pending.flatMap((c) =>
    c.approvalNumber === null || !CHANGES.includes(c.approvalChange as ApprovalChange)
      ? []
      : [
          {
            challengeId: c.id,
            change: c.approvalChange as ApprovalChange,
            requestedAt: c.createdAt.toISOString(),
            expiresAt: c.expiresAt.toISOString(),
            choices: approvalChoices(options.hmacKey, c.id, c.approvalNumber),
            reportedBrowser: describeUserAgent(c.requestUserAgent),
            network: shortenIp(c.requestIp),
          },
        ],
  );
}

/**
 * The right number and two others, in an order that is stable for the request (a reload shows the
 * same three) but unpredictable without the server key.
 */
export function approvalChoices(hmacKey: Buffer, challengeId: string, number: number): number[] {
  const seed = keyedHash(hmacKey, 'approval-choices', challengeId);
  const span = MATCH_MAX - MATCH_MIN + 1;
  const others: number[] = [];
  // 32 bytes give far more than the two distinct decoys needed; a step past 99 wraps round.
  for (let i = 0; others.length < 2; i++) {
    const candidate = MATCH_MIN + ((seed[i % seed.length]! + Math.floor(i / seed.length)) % span);
    if (candidate !== number && !others.includes(candidate)) others.push(candidate);
  }
  const choices = [...others];
  choices.splice(seed[31]! % 3, 0, number);
  return choices;
}

export type Decision = { approve: true; number: number } | { approve: false };

/**
 * Approve (with the number shown on the requesting screen) or deny one request. The first decision
 * wins. Approving needs a sign-in or step-up in the last 15 minutes; a wrong number denies the
 * request, which counts as a failed try on the requesting side.
 */
export async function decideApproval(options: {
  db: Db;
  hmacKey: Buffer;
  approver: Approver;
  challengeId: string;
  decision: Decision;
  now: Date;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
}): Promise<'approved' | 'denied'> {
  const { db, now } = options;
  const approver = await findApprover(db, options.hmacKey, { ...options.approver, now });
  if (!approver) throw notThisDevice();
  if (!isUuid(options.challengeId)) throw gone();
  const pending = { id: options.challengeId, ...pendingWhere(approver.userId, now) };
  // Rule 20: each decision is on record, the signed-in approver as actor, its device named.
  const audit = (outcome: 'approved' | 'denied' | 'wrong_number') =>
    recordAudit(db, {
      actorType: 'USER',
      actorId: approver.userId,
      action: `approval.${outcome}`,
      subjectType: 'user',
      subjectId: approver.userId,
      ip: options.ip ?? null,
      userAgent: options.userAgent?.slice(0, 300) ?? null,
      data: { deviceId: approver.deviceId, requestRef: logReference(options.hmacKey, options.challengeId) },
      occurredAt: now,
    });
  if (!options.decision.approve) {
    const { count } = await db.verificationChallenge.updateMany({ where: pending, data: { deniedAt: now, approvedByDeviceId: approver.deviceId } });
    if (count !== 1) throw gone();
    await audit('denied');
    return 'denied';
  }
  if (now.getTime() - approver.authAt.getTime() > APPROVER_FRESH_MINUTES * 60_000) {
    throw new AppError({ code: 'reauthentication_required', userMessage: 'For your security, confirm it’s you before approving.' });
  }
  const picked = options.decision.number;
  // Anything but one of the two-digit numbers matches nothing (and never reaches the database as an overflow).
  const number = Number.isInteger(picked) && picked >= MATCH_MIN && picked <= MATCH_MAX ? picked : -1;
  const approved = await db.verificationChallenge.updateMany({
    where: { ...pending, approvalNumber: number },
    data: { approvedAt: now, approvedByDeviceId: approver.deviceId },
  });
  if (approved.count === 1) {
    await audit('approved');
    return 'approved';
  }
  const denied = await db.verificationChallenge.updateMany({ where: pending, data: { deniedAt: now, approvedByDeviceId: approver.deviceId } });
  if (denied.count !== 1) throw gone();
  await audit('wrong_number');
  throw new AppError({
    code: 'validation_failed',
    userMessage: 'That number is not the one on the other screen, so the request was denied. If you are trying to recover your account, ask again and pick the number shown there.',
  });
}
