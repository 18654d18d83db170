import { randomUUID } from 'node:crypto';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { Channel } from '@/lib/db/generated/enums';
import type { Delivery, DeliveryChannel } from '@/lib/delivery/types';
import { codeEmail, codeSms, codeVoice } from '@/lib/delivery/templates';
import { AppError, validationError } from '@/lib/errors';
import { log } from '@/lib/log';
import { codeMatches, generateCode, hashCode, normalizeCode } from './codes';
import { type Identifier, identifierInput, maskEmail, maskPhone } from './identifiers';
import {
  APPROVAL_TTL_SECONDS,
  CODE_TTL_SECONDS,
  MAX_ATTEMPTS,
  MAX_CONSECUTIVE_FAILURES,
  resendCooldownSeconds,
  SEND_LIMITS,
  VERIFY_FAILURES_PER_IP,
} from './policy';
import { consumeRateLimit, type RateDecision, rateLimited, resetRateLimit } from './rate-limit';
import { isUuid } from '@/lib/db/ids';

/**
 * Recovery verification: one challenge per attempt to prove control of a contact, a code ladder
 * (SMS → resend, call me instead, email, trusted device), and atomic single use.
 *
 * Enumeration (security.md rule 13): an unknown identifier gets a decoy challenge that is stored,
 * rate limited and answered exactly like a real one, with a plausible masked destination derived
 * from the identifier; it never verifies. Messages are sent after the response (`schedule`), so
 * a slow provider cannot reveal that an account exists either.
 */
export type VerificationDeps = {
  db: Db;
  hmacKey: Buffer;
  delivery: Delivery;
  now?: () => Date;
  newCode?: () => string;
  /** Runs delivery after the response is sent (Next's after()); tests pass a collector. */
  schedule?: (work: () => Promise<void>) => void;
};

export type ChannelChoice = 'sms' | 'voice' | 'email' | 'trusted_device';

export type ChallengeView = {
  channel: ChannelChoice;
  /** Masked: "+1 ••• ••• 42 17", "a•••@example.com", or "your signed-in devices". */
  destination: string;
  expiresAt: string;
  attemptsLeft: number;
  resendAvailableAt: string;
  status: 'active' | 'expired' | 'locked' | 'verified';
  approval: 'none' | 'pending' | 'approved' | 'denied';
  /** A provider failure, said so the person can pick another way. */
  deliveryProblem: string | undefined;
};

export type VerifyResult =
  | { status: 'verified'; userId: string }
  | { status: 'wrong'; attemptsLeft: number }
  | { status: 'expired' | 'used' | 'locked' };

const toPublic: Record<Channel, ChannelChoice> = { SMS: 'sms', VOICE: 'voice', EMAIL: 'email', TRUSTED_DEVICE: 'trusted_device' };
const toDb: Record<ChannelChoice, Channel> = { sms: 'SMS', voice: 'VOICE', email: 'EMAIL', trusted_device: 'TRUSTED_DEVICE' };

const defaultSchedule = (work: () => Promise<void>) => {
  void work().catch((error) => log.error('verification_delivery_failed', { error }));
};

const userSelect = { id: true, email: true, phone: true, phoneVerifiedAt: true } as const;
type Contact = { id: string; email: string; phone: string | null; phoneVerifiedAt: Date | null };

function hashOf(key: Buffer, ...parts: string[]) {
  return keyedHash(key, ...parts);
}

// Plausible stand-ins for a decoy, stable for the same identifier so repeated tries look the same.
function fakePhone(seed: Buffer) {
  const digits = Array.from(seed.subarray(0, 10), (b) => String(b % 10)).join('');
  return maskPhone(`+1${digits}`);
}
const FAKE_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'proton.me'];
function fakeEmail(seed: Buffer) {
  const letter = String.fromCharCode(97 + (seed[11]! % 26));
  return `${letter}•••@${FAKE_DOMAINS[seed[12]! % FAKE_DOMAINS.length]}`;
}

/** Where a code for `channel` goes for this account (or, for a decoy, where it would seem to go). */
function destinationFor(channel: DeliveryChannel, user: Contact | null, identifier: Identifier | undefined, seed: Buffer) {
  if (channel === 'email') {
    if (user) return { to: user.email, masked: maskEmail(user.email) };
    return { to: undefined, masked: identifier?.kind === 'email' ? maskEmail(identifier.value) : fakeEmail(seed) };
  }
  // Rule 5: SMS and voice only ever go to a verified number.
  if (user?.phone && user.phoneVerifiedAt) return { to: user.phone, masked: maskPhone(user.phone) };
  return { to: undefined, masked: identifier?.kind === 'phone' ? maskPhone(identifier.value) : fakePhone(seed) };
}

async function limitAll(db: Db, now: Date, checks: [string, { limit: number; windowSeconds: number }][], what: string) {
  for (const [key, limit] of checks) {
    const decision: RateDecision = await consumeRateLimit(db, key, limit, now);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, what);
  }
}

function sendCode(deps: VerificationDeps, channel: DeliveryChannel, to: string | undefined, code: string, challengeId: string) {
  if (!to) return; // decoy, or a channel this account does not have: nothing to send
  const schedule = deps.schedule ?? defaultSchedule;
  const minutes = CODE_TTL_SECONDS / 60;
  schedule(async () => {
    const content =
      channel === 'email'
        ? codeEmail({ code, purposeLabel: 'account recovery', expiresInMinutes: minutes })
        : channel === 'sms'
          ? codeSms({ code, expiresInMinutes: minutes })
          : codeVoice({ code });
    await deps.delivery
      .send({ channel, to, purpose: 'recovery-code', challengeId, sensitive: [code], ...content })
      .catch((error) => log.warn('verification_send_failed', { channel, challengeId, error: (error as Error).message }));
  });
}

/** "Can't sign in?": the same answer for every identifier, known or not. */
export async function startRecovery(deps: VerificationDeps, input: { identifier: string; ip: string; userAgent: string | null }) {
  const parsed = identifierInput.safeParse(input.identifier);
  if (!parsed.success) throw validationError({ identifier: parsed.error.issues.map((i) => i.message) });
  const identifier = parsed.data;
  const now = (deps.now ?? (() => new Date()))();
  const idHash = hashOf(deps.hmacKey, 'identifier', identifier.value);
  const id64 = idHash.toString('base64url');

  await limitAll(deps.db, now, [[`start:id:${id64}`, SEND_LIMITS.perIdentifier], [`send:ip:${input.ip}`, SEND_LIMITS.perIp]], 'code requests');

  const user = await deps.db.user.findFirst({
    where: identifier.kind === 'email' ? { email: identifier.value } : { phone: identifier.value, phoneVerifiedAt: { not: null } },
    select: userSelect,
  });
  // Accounts with a verified phone start with SMS, others with email; decoys split the same way.
  const prefersSms = user ? Boolean(user.phone && user.phoneVerifiedAt) : identifier.kind === 'phone' || idHash[0]! % 4 !== 0;
  const channel: DeliveryChannel = prefersSms ? 'sms' : 'email';
  const destination = destinationFor(channel, user, identifier, idHash);
  const destinationKey = hashOf(deps.hmacKey, 'destination', destination.to ?? `decoy:${id64}`).toString('base64url');
  await limitAll(deps.db, now, [[`send:${channel}:${destinationKey}`, channel === 'sms' ? SEND_LIMITS.smsPerDestination : SEND_LIMITS.emailPerDestination]], 'codes sent to this contact');

  const challengeId = randomUUID();
  const code = (deps.newCode ?? generateCode)();
  const codeHash = hashCode(deps.hmacKey, challengeId, code);
  await deps.db.verificationChallenge.create({
    data: {
      id: challengeId,
      purpose: 'RECOVERY',
      userId: user?.id ?? null,
      identifierHash: new Uint8Array(idHash),
      channel: toDb[channel],
      destinationMasked: destination.masked,
      codeHash: user ? codeHash : null,
      maxAttempts: MAX_ATTEMPTS,
      sendCount: 1,
      lastSentAt: now,
      expiresAt: new Date(now.getTime() + CODE_TTL_SECONDS * 1000),
      requestIp: input.ip,
      requestUserAgent: input.userAgent?.slice(0, 300) ?? null,
    },
  });
  sendCode(deps, channel, destination.to, code, challengeId);
  return { challengeId, view: await getChallengeView(deps, challengeId) };
}

const challengeSelect = {
  id: true,
  userId: true,
  identifierHash: true,
  channel: true,
  destinationMasked: true,
  attempts: true,
  maxAttempts: true,
  sendCount: true,
  lastSentAt: true,
  expiresAt: true,
  consumedAt: true,
  approvedAt: true,
  deniedAt: true,
  createdAt: true,
} as const;

async function loadChallenge(db: Db, challengeId: string) {
  if (!isUuid(challengeId)) return null;
  return db.verificationChallenge.findUnique({ where: { id: challengeId }, select: { ...challengeSelect, user: { select: userSelect } } });
}

/** What the code page shows. Identical in shape (and in content rules) for decoys. */
export async function getChallengeView(deps: Pick<VerificationDeps, 'db' | 'now'>, challengeId: string): Promise<ChallengeView | undefined> {
  const now = (deps.now ?? (() => new Date()))();
  const challenge = await loadChallenge(deps.db, challengeId);
  if (!challenge) return undefined;
  const failed = challenge.userId
    ? await deps.db.outboundMessage.findFirst({
        where: { challengeId, status: { in: ['FAILED', 'UNDELIVERED'] }, createdAt: { gte: challenge.lastSentAt ?? challenge.createdAt } },
        select: { channel: true },
      })
    : null;
  const status = challenge.consumedAt
    ? 'verified'
    : challenge.attempts >= challenge.maxAttempts
      ? 'locked'
      : challenge.expiresAt <= now
        ? 'expired'
        : 'active';
  const sentAt = challenge.lastSentAt ?? challenge.createdAt;
  return {
    channel: toPublic[challenge.channel],
    destination: challenge.destinationMasked ?? '',
    expiresAt: challenge.expiresAt.toISOString(),
    attemptsLeft: Math.max(0, challenge.maxAttempts - challenge.attempts),
    resendAvailableAt: new Date(sentAt.getTime() + resendCooldownSeconds(challenge.sendCount) * 1000).toISOString(),
    status,
    approval: challenge.channel !== 'TRUSTED_DEVICE' ? 'none' : challenge.approvedAt ? 'approved' : challenge.deniedAt ? 'denied' : 'pending',
    deliveryProblem: failed ? deliveryProblemMessage(failed.channel) : undefined,
  };
}

function deliveryProblemMessage(channel: 'EMAIL' | 'SMS' | 'VOICE') {
  const tries = { SMS: 'Try a phone call or email instead.', VOICE: 'Try a text message or email instead.', EMAIL: 'Try a text message, a phone call or a trusted device instead.' };
  const how = { SMS: 'by text message', VOICE: 'by phone call', EMAIL: 'by email' };
  return `We couldn't send a code ${how[channel]}. ${tries[channel]}`;
}

/** "Didn't get the code?": a new code by SMS, voice or email. The old code stops working; attempts carry over. */
export async function resendCode(deps: VerificationDeps, input: { challengeId: string; channel: 'sms' | 'voice' | 'email'; ip: string }) {
  const now = (deps.now ?? (() => new Date()))();
  const challenge = await loadChallenge(deps.db, input.challengeId);
  if (!challenge || challenge.consumedAt || challenge.expiresAt <= now || challenge.attempts >= challenge.maxAttempts) {
    throw new AppError({ code: 'conflict', userMessage: 'This code request has ended. Start again to get a new code.' });
  }
  const readyAt = (challenge.lastSentAt ?? challenge.createdAt).getTime() + resendCooldownSeconds(challenge.sendCount) * 1000;
  if (readyAt > now.getTime()) throw rateLimited((readyAt - now.getTime()) / 1000, 'code requests');

  const seed = Buffer.from(challenge.identifierHash);
  const destination = destinationFor(input.channel, challenge.user, undefined, seed);
  // A decoy keeps showing the destination it started with, like a real account would.
  const masked = challenge.userId ? destination.masked : sameKindMasked(challenge.destinationMasked, input.channel, destination.masked);
  const destinationKey = hashOf(deps.hmacKey, 'destination', destination.to ?? `decoy:${seed.toString('base64url')}`).toString('base64url');
  const perDestination = { sms: SEND_LIMITS.smsPerDestination, voice: SEND_LIMITS.voicePerDestination, email: SEND_LIMITS.emailPerDestination }[input.channel];
  await limitAll(
    deps.db,
    now,
    [
      [`send:${input.channel}:${destinationKey}`, perDestination],
      [`send:ip:${input.ip}`, SEND_LIMITS.perIp],
      [`start:id:${seed.toString('base64url')}`, SEND_LIMITS.perIdentifier],
    ],
    'code requests',
  );

  const code = (deps.newCode ?? generateCode)();
  const { count } = await deps.db.verificationChallenge.updateMany({
    where: { id: challenge.id, consumedAt: null, expiresAt: { gt: now }, attempts: { lt: challenge.maxAttempts } },
    data: {
      codeHash: challenge.userId ? hashCode(deps.hmacKey, challenge.id, code) : null,
      channel: toDb[input.channel],
      destinationMasked: masked,
      sendCount: { increment: 1 },
      lastSentAt: now,
      expiresAt: new Date(now.getTime() + CODE_TTL_SECONDS * 1000),
      approvedAt: null,
      deniedAt: null,
    },
  });
  if (count !== 1) throw new AppError({ code: 'conflict', userMessage: 'This code request has ended. Start again to get a new code.' });
  sendCode(deps, input.channel, destination.to, code, challenge.id);
  return getChallengeView(deps, challenge.id);
}

function sameKindMasked(previous: string | null, channel: 'sms' | 'voice' | 'email', fallback: string) {
  const previousIsEmail = previous?.includes('@') ?? false;
  return previous && previousIsEmail === (channel === 'email') ? previous : fallback;
}

/** Checks a code. Of N simultaneous correct submissions exactly one succeeds (ASVS 6.5.1, 6.6.2). */
export async function verifyCode(deps: VerificationDeps, input: { challengeId: string; code: string; ip: string }): Promise<VerifyResult> {
  const code = normalizeCode(input.code);
  if (!code) throw validationError({ code: ['Enter the 6-digit code.'] });
  const now = (deps.now ?? (() => new Date()))();

  const ipDecision = await consumeRateLimit(deps.db, `verify:ip:${input.ip}`, VERIFY_FAILURES_PER_IP, now);
  if (!ipDecision.allowed) throw rateLimited(ipDecision.retryAfterSeconds, 'attempts');

  if (!isUuid(input.challengeId)) return { status: 'expired' };
  // Count the attempt and read the stored hash in one statement: no two requests share an attempt.
  const [attempt] = await deps.db.$queryRaw<{ codeHash: Uint8Array | null; attempts: number; maxAttempts: number; userId: string | null; identifierHash: Uint8Array }[]>`
    UPDATE "VerificationChallenge" SET "attempts" = "attempts" + 1
    WHERE "id" = ${input.challengeId}::uuid AND "purpose" = 'RECOVERY' AND "consumedAt" IS NULL AND "expiresAt" > ${now} AND "attempts" < "maxAttempts"
    RETURNING "codeHash", "attempts", "maxAttempts", "userId", "identifierHash"`;
  if (!attempt) {
    const challenge = await deps.db.verificationChallenge.findUnique({ where: { id: input.challengeId }, select: { consumedAt: true, attempts: true, maxAttempts: true } });
    if (challenge?.consumedAt) return { status: 'used' };
    if (challenge && challenge.attempts >= challenge.maxAttempts) return { status: 'locked' };
    return { status: 'expired' };
  }

  const failuresKey = `verify:failures:${Buffer.from(attempt.identifierHash).toString('base64url')}`;
  const failures = await deps.db.rateLimitBucket.findUnique({ where: { key: failuresKey }, select: { count: true } });
  if ((failures?.count ?? 0) >= MAX_CONSECUTIVE_FAILURES) return { status: 'locked' };

  if (attempt.userId && codeMatches(deps.hmacKey, input.challengeId, code, attempt.codeHash)) {
    const { count } = await deps.db.verificationChallenge.updateMany({
      where: { id: input.challengeId, consumedAt: null },
      data: { consumedAt: now },
    });
    if (count !== 1) return { status: 'used' };
    if (failures) await resetRateLimit(deps.db, failuresKey);
    return { status: 'verified', userId: attempt.userId };
  }

  // Consecutive failures per identifier, across challenges (security.md rule 3); a resend never resets it.
  await deps.db.$executeRaw`
    INSERT INTO "RateLimitBucket" ("key", "count", "windowStart", "strikes", "updatedAt") VALUES (${failuresKey}, 1, ${now}, 0, ${now})
    ON CONFLICT ("key") DO UPDATE SET "count" = "RateLimitBucket"."count" + 1, "updatedAt" = ${now}`;
  const attemptsLeft = attempt.maxAttempts - attempt.attempts;
  return attemptsLeft > 0 ? { status: 'wrong', attemptsLeft } : { status: 'locked' };
}

/** "Approve on a trusted device": signed-in devices of the account see the request. */
export async function requestDeviceApproval(deps: VerificationDeps, input: { challengeId: string; ip: string; userAgent: string | null }) {
  const now = (deps.now ?? (() => new Date()))();
  const challenge = await loadChallenge(deps.db, input.challengeId);
  if (!challenge || challenge.consumedAt || challenge.expiresAt <= now || challenge.attempts >= challenge.maxAttempts) {
    throw new AppError({ code: 'conflict', userMessage: 'This request has ended. Start again.' });
  }
  await limitAll(deps.db, now, [[`approval:id:${Buffer.from(challenge.identifierHash).toString('base64url')}`, { limit: 5, windowSeconds: 3600 }]], 'approval requests');
  await deps.db.verificationChallenge.update({
    where: { id: challenge.id },
    data: {
      channel: 'TRUSTED_DEVICE',
      destinationMasked: 'your signed-in devices',
      approvedAt: null,
      deniedAt: null,
      approvedByDeviceId: null,
      requestIp: input.ip,
      requestUserAgent: input.userAgent?.slice(0, 300) ?? null,
      // The request is live on someone's screen: it lasts minutes, not the code's ten.
      expiresAt: new Date(now.getTime() + APPROVAL_TTL_SECONDS * 1000),
    },
  });
  return getChallengeView(deps, challenge.id);
}

/** The requester's side: once a device approved, the challenge is consumed exactly once. */
export async function completeDeviceApproval(deps: VerificationDeps, challengeId: string): Promise<VerifyResult> {
  const now = (deps.now ?? (() => new Date()))();
  const challenge = await loadChallenge(deps.db, challengeId);
  if (!challenge || !challenge.userId || !challenge.approvedAt) return { status: challenge?.consumedAt ? 'used' : 'expired' };
  const { count } = await deps.db.verificationChallenge.updateMany({
    where: { id: challengeId, purpose: 'RECOVERY', consumedAt: null, approvedAt: { not: null }, expiresAt: { gt: now } },
    data: { consumedAt: now },
  });
  return count === 1 ? { status: 'verified', userId: challenge.userId } : { status: 'used' };
}

/** How long a verified recovery challenge may start a factor reset (issue 6). */
export const VERIFIED_RECOVERY_TTL_SECONDS = 15 * 60;
export type RecoveryProof = 'email_code' | 'phone_code' | 'trusted_device';

/**
 * The account and the proof a recovery challenge established, if it was verified in the last
 * 15 minutes. SMS and voice codes prove the same thing (the phone); a decoy never verifies.
 */
export async function getVerifiedRecovery(db: Db, challengeId: string, now: Date): Promise<{ userId: string; proof: RecoveryProof; email: string } | undefined> {
  if (!isUuid(challengeId)) return undefined;
  const challenge = await db.verificationChallenge.findFirst({
    where: { id: challengeId, purpose: 'RECOVERY', userId: { not: null }, consumedAt: { gt: new Date(now.getTime() - VERIFIED_RECOVERY_TTL_SECONDS * 1000) } },
    select: { userId: true, channel: true, user: { select: { email: true } } },
  });
  if (!challenge?.userId || !challenge.user) return undefined;
  const proof: RecoveryProof = challenge.channel === 'EMAIL' ? 'email_code' : challenge.channel === 'TRUSTED_DEVICE' ? 'trusted_device' : 'phone_code';
  // The account's own address: where mail about this recovery goes (pages show it masked).
  return { userId: challenge.userId, proof, email: challenge.user.email };
}
