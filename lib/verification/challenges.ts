import { recordAudit } from '@/lib/audit';
import { keyedHash, logReference } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { Channel } from '@/lib/db/generated/enums';
import { DELIVERY_PROBLEM } from '@/lib/delivery/status';
import type { Delivery, DeliveryChannel } from '@/lib/delivery/types';
import { codeEmail, codeSms, codeVoice } from '@/lib/delivery/templates';
import { AppError, validationError } from '@/lib/errors';
import { log } from '@/lib/log';
import { attemptCode, consumeCode, issueCode, renewCode } from './code-challenge';
import { normalizeCode } from './codes';
import { type Identifier, identifierInput, maskEmail, maskPhone } from './identifiers';
import { CODE_TTL_SECONDS, resendCooldownSeconds, SEND_LIMITS } from './policy';
import { consumeRateLimit, type RateDecision, rateLimited } from '@/lib/limits';
import { isUuid } from '@/lib/db/ids';

/**
 * Recovery verification: one challenge per attempt to prove control of a contact, a code ladder
 * (SMS → resend, call me instead, email, trusted device), and atomic single use.
 *
 * Enumeration (docs/security.md rule 13): an unknown identifier gets a decoy challenge that is stored,
 * rate limited and answered exactly like a real one; it never verifies. Its masked destinations,
 * starting channel and delivery problems mirror the real accounts (rule 25, see mirrorSamples), so
 * no field or distribution of fields tells it apart. Messages are sent after the response (`schedule`), so
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

export type ChannelChoice = 'sms' | 'voice' | 'email';

export type ChallengeView = {
  channel: ChannelChoice;
  /** Masked: "+1 ••• ••• 42 17" or "a•••@example.com". */
  destination: string;
  expiresAt: string;
  attemptsLeft: number;
  resendAvailableAt: string;
  status: 'active' | 'expired' | 'locked' | 'verified';
  /** A provider failure, said so the person can pick another way. */
  deliveryProblem: string | undefined;
};

export type VerifyResult =
  | { status: 'verified'; userId: string }
  | { status: 'wrong'; attemptsLeft: number }
  | { status: 'expired' | 'used' | 'locked' };

// Recovery codes go by SMS, voice or email; TRUSTED_DEVICE rows are device approvals (approvals.ts).
const toPublic: Record<Channel, ChannelChoice> = { SMS: 'sms', VOICE: 'voice', EMAIL: 'email', TRUSTED_DEVICE: 'email' };
const toDb: Record<ChannelChoice, Channel> = { sms: 'SMS', voice: 'VOICE', email: 'EMAIL' };

const defaultSchedule = (work: () => Promise<void>) => {
  void work().catch((error) => log.error('verification_delivery_failed', { error }));
};

const userSelect = { id: true, email: true, phone: true, phoneVerifiedAt: true } as const;
type Contact = { id: string; email: string; phone: string | null; phoneVerifiedAt: Date | null };

function hashOf(key: Buffer, ...parts: string[]) {
  return keyedHash(key, ...parts);
}

// Decoys mirror real answers in every field (docs/security.md rules 13 and 25). Each account holds a
// random place on a ring (User.sampleKey); a decoy takes the shape of the accounts found at its
// identifier's keyed-hash positions: whether it starts by SMS, the country code and length of its
// number, the domain and first letter of its address. The parts that would point at a person (the
// digits shown) come from the keyed hash, and letter and domain come from two different accounts.
// New sign-ups move a decoy only when they land between its position and its sample (about 1/N
// of decoys per new account), so the same identifier keeps getting the same answer.
type Sample = { email: string; phone: string | null; phoneVerified: boolean };
type Mirrors = { any: Sample | undefined; phoneHolders: Sample[] };
/** What a challenge shows for a channel the account cannot receive (fixed when it starts). */
type StandIns = { phone: string | null; email: string | null };

const ringPosition = (bytes: Buffer) => bytes.readUIntBE(0, 6) / 2 ** 48;

/**
 * The next account on the ring, and the next two with a verified phone, wrapping around. One
 * indexed query, run for real and unknown identifiers alike so both take the same time (rule 13).
 */
async function mirrorSamples(db: Db, seed: Buffer): Promise<Mirrors> {
  const anyAt = ringPosition(seed.subarray(0, 6));
  const phoneAt = ringPosition(seed.subarray(6, 12));
  const rows = await db.$queryRaw<(Sample & { ring: number })[]>`
    SELECT "ring", "email", "phone", "phoneVerified" FROM (
      (SELECT 0 AS "ring", 0 AS "lap", "sampleKey", "email", "phone", ("phone" IS NOT NULL AND "phoneVerifiedAt" IS NOT NULL) AS "phoneVerified"
        FROM "User" WHERE "sampleKey" >= ${anyAt}::float8 ORDER BY "sampleKey" LIMIT 1)
      UNION ALL
      (SELECT 0, 1, "sampleKey", "email", "phone", ("phone" IS NOT NULL AND "phoneVerifiedAt" IS NOT NULL)
        FROM "User" ORDER BY "sampleKey" LIMIT 1)
      UNION ALL
      (SELECT 1, 0, "sampleKey", "email", "phone", TRUE
        FROM "User" WHERE "phone" IS NOT NULL AND "phoneVerifiedAt" IS NOT NULL AND "sampleKey" >= ${phoneAt}::float8 ORDER BY "sampleKey" LIMIT 2)
      UNION ALL
      (SELECT 1, 1, "sampleKey", "email", "phone", TRUE
        FROM "User" WHERE "phone" IS NOT NULL AND "phoneVerifiedAt" IS NOT NULL ORDER BY "sampleKey" LIMIT 2)
    ) AS "samples" ORDER BY "ring", "lap", "sampleKey"`;
  return { any: rows.find((r) => r.ring === 0), phoneHolders: rows.filter((r) => r.ring === 1).slice(0, 2) };
}

/**
 * A verified number's country code and length, with its last four digits from the keyed hash. The
 * digits depend on the sample too: should the sample change, the whole number changes, as when a
 * person changes numbers, never the country code alone.
 */
function mirroredPhone(sample: Sample | undefined, seed: Buffer) {
  if (!sample?.phone) return fakePhone(seed); // no account has a verified phone: no answer to mirror
  const last = String(keyedHash(seed, 'digits', sample.phone).readUInt32BE(0) % 10_000).padStart(4, '0');
  return maskPhone(`${sample.phone.slice(0, -4)}${last}`);
}

/** The domain of one account's address and the first letter of another's. */
function mirroredEmail(domainFrom: Sample | undefined, letterFrom: Sample | undefined, seed: Buffer) {
  if (!domainFrom) return fakeEmail(seed);
  const domain = domainFrom.email.slice(domainFrom.email.lastIndexOf('@') + 1);
  return maskEmail(`${(letterFrom ?? domainFrom).email.slice(0, 1)}@${domain}`);
}

/**
 * A real account found by email shows that typed address; one found by phone shows that typed
 * number, and the email of an account that has a verified phone. Decoys show the same.
 */
function standInsFor(identifier: Identifier, mirrors: Mirrors, seed: Buffer): { phone: string; email: string } {
  const [first, second] = mirrors.phoneHolders;
  return {
    phone: identifier.kind === 'phone' ? maskPhone(identifier.value) : mirroredPhone(first, seed),
    email: identifier.kind === 'email' ? maskEmail(identifier.value) : mirroredEmail(first, second, seed),
  };
}

// Last resorts, for a database with no account to mirror (so no real answer to tell them from) and
// for challenges started before stand-ins were stored.
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
function destinationFor(channel: DeliveryChannel, user: Contact | null, standIns: StandIns, seed: Buffer) {
  if (channel === 'email') {
    if (user) return { to: user.email, masked: maskEmail(user.email) };
    return { to: undefined, masked: standIns.email ?? fakeEmail(seed) };
  }
  // Rule 5: SMS and voice only ever go to a verified number. Without one, the stand-in is shown
  // (shaped like a real number, rule 25) and nothing is sent.
  if (user?.phone && user.phoneVerifiedAt) return { to: user.phone, masked: maskPhone(user.phone) };
  return { to: undefined, masked: standIns.phone ?? fakePhone(seed) };
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
      .catch((error) => log.warn('verification_send_failed', { channel, challengeRef: logReference(deps.hmacKey, challengeId), error: (error as Error).message }));
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

  // The mirror samples are read for every identifier, found or not: the same work either way (rule 13).
  const mirrorSeed = hashOf(deps.hmacKey, 'decoy-mirror', identifier.value);
  const [user, mirrors] = await Promise.all([
    deps.db.user.findFirst({
      where: identifier.kind === 'email' ? { email: identifier.value } : { phone: identifier.value, phoneVerifiedAt: { not: null } },
      select: userSelect,
    }),
    mirrorSamples(deps.db, mirrorSeed),
  ]);
  const standIns = standInsFor(identifier, mirrors, mirrorSeed);
  // Accounts with a verified phone start with SMS, others with email. A decoy starts like the
  // account it mirrors, so decoys split as the real accounts do (rule 25); one typed as a phone
  // number starts by SMS, as every account found by its verified phone does.
  const prefersSms = user ? Boolean(user.phone && user.phoneVerifiedAt) : identifier.kind === 'phone' || Boolean(mirrors.any?.phoneVerified);
  const channel: DeliveryChannel = prefersSms ? 'sms' : 'email';
  const destination = destinationFor(channel, user, standIns, idHash);
  const destinationKey = hashOf(deps.hmacKey, 'destination', destination.to ?? `decoy:${id64}`).toString('base64url');
  await limitAll(deps.db, now, [[`send:${channel}:${destinationKey}`, channel === 'sms' ? SEND_LIMITS.smsPerDestination : SEND_LIMITS.emailPerDestination]], 'codes sent to this contact');

  const { challengeId, code } = await issueCode(deps.db, {
    hmacKey: deps.hmacKey,
    purpose: 'RECOVERY',
    subject: { type: 'IDENTIFIER', hash: new Uint8Array(idHash) },
    userId: user?.id ?? null,
    real: Boolean(user),
    channel: toDb[channel],
    destinationMasked: destination.masked,
    // A real account always shows its own address; only a decoy needs one.
    standIns: { phone: standIns.phone, email: user ? null : standIns.email },
    requestIp: input.ip,
    requestUserAgent: input.userAgent,
    now,
    newCode: deps.newCode,
  });
  // Rule 20: every recovery start is on record, known account or not, with the requester as the
  // actor. One append of the same shape either way, so the log costs a known identifier no more
  // time than an unknown one (rule 13). Only keyed references, never the challenge id (rule 26).
  await recordAudit(deps.db, {
    actorType: 'ANONYMOUS',
    action: 'recovery.started',
    subjectType: 'user',
    subjectId: user?.id ?? null,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    data: { challengeRef: logReference(deps.hmacKey, challengeId), identifierRef: logReference(deps.hmacKey, `identifier:${identifier.value}`), identifierKind: identifier.kind, channel },
    occurredAt: now,
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
  standInPhoneMasked: true,
  standInEmailMasked: true,
  attempts: true,
  maxAttempts: true,
  sendCount: true,
  lastSentAt: true,
  expiresAt: true,
  consumedAt: true,
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
  // Asked for decoys too (they have no messages): the same work for every challenge (rule 13).
  const [failed, rates] = await Promise.all([
    deps.db.outboundMessage.findFirst({
      where: { challengeId, ...DELIVERY_PROBLEM, createdAt: { gte: challenge.lastSentAt ?? challenge.createdAt } },
      select: { channel: true },
    }),
    deliveryFailureRates(deps.db, now),
  ]);
  const status = challenge.consumedAt
    ? 'verified'
    : challenge.attempts >= challenge.maxAttempts
      ? 'locked'
      : challenge.expiresAt <= now
        ? 'expired'
        : 'active';
  const sentAt = challenge.lastSentAt ?? challenge.createdAt;
  // Drawn for every challenge, used only for a decoy: no step a clock could tell apart.
  const decoyFails = decoyDeliveryFails(challenge, rates, now);
  return {
    channel: toPublic[challenge.channel],
    destination: challenge.destinationMasked ?? '',
    expiresAt: challenge.expiresAt.toISOString(),
    attemptsLeft: Math.max(0, challenge.maxAttempts - challenge.attempts),
    resendAvailableAt: new Date(sentAt.getTime() + resendCooldownSeconds(challenge.sendCount) * 1000).toISOString(),
    status,
    deliveryProblem: failed
      ? deliveryProblemMessage(failed.channel)
      : !challenge.userId && decoyFails
        ? deliveryProblemMessage(challenge.channel as MessageChannel)
        : undefined,
  };
}

type MessageChannel = 'EMAIL' | 'SMS' | 'VOICE';
type FailureRates = Record<MessageChannel, number>;
const FAILURE_RATE_WINDOW_MS = 7 * 86_400_000;
const FAILURE_RATE_TTL_MS = 5 * 60_000;
const failureRateCache = new WeakMap<Db, { at: number; rates: Promise<FailureRates> }>();

/**
 * How often recovery codes failed to arrive lately, per channel (real sends only: decoys send
 * nothing). Cached a few minutes per database: the refresh lands on whichever request comes, found
 * or not.
 */
function deliveryFailureRates(db: Db, now: Date): Promise<FailureRates> {
  const cached = failureRateCache.get(db);
  if (cached && Date.now() - cached.at < FAILURE_RATE_TTL_MS) return cached.rates;
  const rates = db.outboundMessage
    .groupBy({
      by: ['channel', 'status'],
      where: { purpose: 'recovery-code', createdAt: { gte: new Date(now.getTime() - FAILURE_RATE_WINDOW_MS) } },
      _count: { _all: true },
    })
    .then((rows) => {
      const rate = (channel: MessageChannel) => {
        const of = rows.filter((r) => r.channel === channel);
        const total = of.reduce((sum, r) => sum + r._count._all, 0);
        const failed = of.filter((r) => r.status === 'FAILED' || r.status === 'UNDELIVERED').reduce((sum, r) => sum + r._count._all, 0);
        return total === 0 ? 0 : failed / total;
      };
      return { EMAIL: rate('EMAIL'), SMS: rate('SMS'), VOICE: rate('VOICE') };
    });
  failureRateCache.set(db, { at: Date.now(), rates });
  rates.catch(() => failureRateCache.delete(db));
  return rates;
}

/**
 * A decoy's code "fails to arrive" as often as real codes on that channel do (rule 25), and like a
 * dead number or mailbox it fails for every send to the same identifier and channel, a few seconds
 * after sending, when a provider's answer would come back.
 */
function decoyDeliveryFails(challenge: { identifierHash: Uint8Array | null; channel: Channel; lastSentAt: Date | null; createdAt: Date }, rates: FailureRates, now: Date) {
  if (challenge.channel === 'TRUSTED_DEVICE') return false;
  const draw = keyedHash(Buffer.from(challenge.identifierHash ?? []), 'decoy-delivery', challenge.channel);
  const delaySeconds = 2 + (draw[4]! % 9);
  const sentAt = challenge.lastSentAt ?? challenge.createdAt;
  return draw.readUInt32BE(0) / 2 ** 32 < rates[challenge.channel] && now.getTime() - sentAt.getTime() >= delaySeconds * 1000;
}

function deliveryProblemMessage(channel: 'EMAIL' | 'SMS' | 'VOICE') {
  const tries = { SMS: 'Try a phone call or email instead.', VOICE: 'Try a text message or email instead.', EMAIL: 'Try a text message, a phone call or a trusted device instead.' };
  const how = { SMS: 'by text message', VOICE: 'by phone call', EMAIL: 'by email' };
  return `We couldn't send a code ${how[channel]}. ${tries[channel]}`;
}

/** "Didn't get the code?": a new code by SMS, voice or email. The old code stops working; attempts carry over. */
export async function resendCode(deps: VerificationDeps, input: { challengeId: string; channel: 'sms' | 'voice' | 'email'; ip: string }) {
  // The channel arrives from the browser: anything else is refused before it can become a limit key.
  if (!Object.hasOwn(toDb, input.channel)) throw validationError({ channel: ['Choose a text message, a phone call or an email.'] });
  const now = (deps.now ?? (() => new Date()))();
  const challenge = await loadChallenge(deps.db, input.challengeId);
  if (!challenge || challenge.consumedAt || challenge.expiresAt <= now || challenge.attempts >= challenge.maxAttempts) {
    throw new AppError({ code: 'conflict', userMessage: 'This code request has ended. Start again to get a new code.' });
  }
  const readyAt = (challenge.lastSentAt ?? challenge.createdAt).getTime() + resendCooldownSeconds(challenge.sendCount) * 1000;
  if (readyAt > now.getTime()) throw rateLimited((readyAt - now.getTime()) / 1000, 'code requests');

  // A recovery challenge's subject is what was typed: its keyed hash seeds the decoy's answers.
  const seed = Buffer.from(challenge.identifierHash ?? []);
  const destination = destinationFor(input.channel, challenge.user, { phone: challenge.standInPhoneMasked, email: challenge.standInEmailMasked }, seed);
  // A decoy shows the stand-ins fixed at its start, as stable as a real account's contacts. One
  // started before stand-ins were stored keeps the destination it started with.
  const legacyDecoy = !challenge.userId && challenge.standInEmailMasked === null;
  const masked = legacyDecoy ? sameKindMasked(challenge.destinationMasked, input.channel, destination.masked) : destination.masked;
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

  const renewed = await renewCode(deps.db, {
    hmacKey: deps.hmacKey,
    challengeId: challenge.id,
    real: Boolean(challenge.userId),
    channel: toDb[input.channel],
    destinationMasked: masked,
    now,
    newCode: deps.newCode,
  });
  if (!renewed) throw new AppError({ code: 'conflict', userMessage: 'This code request has ended. Start again to get a new code.' });
  const { code } = renewed;
  sendCode(deps, input.channel, destination.to, code, challenge.id);
  return getChallengeView(deps, challenge.id);
}

function sameKindMasked(previous: string | null, channel: 'sms' | 'voice' | 'email', fallback: string) {
  const previousIsEmail = previous?.includes('@') ?? false;
  return previous && previousIsEmail === (channel === 'email') ? previous : fallback;
}

/** Checks a code. Of N simultaneous correct submissions exactly one succeeds (ASVS 6.5.1, 6.6.2). */
export async function verifyCode(deps: VerificationDeps, input: { challengeId: string; code: string; ip: string; userAgent?: string | null | undefined }): Promise<VerifyResult> {
  const code = normalizeCode(input.code);
  if (!code) throw validationError({ code: ['Enter the 6-digit code.'] });
  const now = (deps.now ?? (() => new Date()))();

  // Failures per identifier AND client (rules 3, 14, 23): the client that keeps guessing waits, and
  // the identifier-wide lock is time-boxed and still lets a client with a clean record try, so
  // nobody can lock the owner out. Decoys go through the same limits (rule 13).
  const attempt = await attemptCode(deps.db, {
    hmacKey: deps.hmacKey,
    challengeId: input.challengeId,
    purpose: 'RECOVERY',
    code,
    now,
    limits: { client: input.ip, scope: 'verify' },
  });
  if (attempt.outcome !== 'match' && attempt.outcome !== 'wrong') {
    return { status: attempt.outcome === 'used' ? 'used' : attempt.outcome === 'exhausted' ? 'locked' : 'expired' };
  }

  const { userId } = attempt.challenge;
  const { attemptsLeft } = attempt;
  if (attempt.outcome === 'match' && userId) {
    // The proof is the channel of the code that was entered, recorded as it is consumed.
    if (!(await consumeCode(deps.db, attempt, now))) return { status: 'used' };
    await auditCodeAttempt(deps, input, now, userId, 'recovery.code_verified', { attemptsLeft });
    return { status: 'verified', userId };
  }

  // The failure stays counted (attemptCode reserved it); a resend never gives it back (rule 3).
  // A decoy's wrong code is recorded exactly like a real one's (rule 13): same append, same shape.
  await auditCodeAttempt(deps, input, now, userId, attemptsLeft > 0 ? 'recovery.code_failed' : 'recovery.challenge_locked', { attemptsLeft });
  return attemptsLeft > 0 ? { status: 'wrong', attemptsLeft } : { status: 'locked' };
}

/** Rule 20: a code try on record, the requester as actor, the challenge only by keyed reference (rule 26). */
function auditCodeAttempt(
  deps: VerificationDeps,
  input: { challengeId: string; ip: string; userAgent?: string | null | undefined },
  now: Date,
  userId: string | null,
  action: 'recovery.code_verified' | 'recovery.code_failed' | 'recovery.challenge_locked',
  facts: { attemptsLeft: number },
) {
  return recordAudit(deps.db, {
    actorType: 'ANONYMOUS',
    action,
    subjectType: 'user',
    subjectId: userId,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    data: { challengeRef: logReference(deps.hmacKey, input.challengeId), ...facts },
    occurredAt: now,
  });
}

/** How long a verified recovery challenge may start a factor reset (docs/recovery-policy.md). */
export const VERIFIED_RECOVERY_TTL_SECONDS = 15 * 60;
export type RecoveryProof = 'email_code' | 'phone_code';

/**
 * The account and the proof a recovery challenge established, if it was verified in the last
 * 15 minutes. The proof is the channel of the code actually entered (SMS and voice both prove the
 * phone); a decoy never verifies, and a device approval is never a first proof (rule 22).
 */
export async function getVerifiedRecovery(db: Db, challengeId: string, now: Date): Promise<{ userId: string; proof: RecoveryProof; email: string } | undefined> {
  if (!isUuid(challengeId)) return undefined;
  const challenge = await db.verificationChallenge.findFirst({
    where: { id: challengeId, purpose: 'RECOVERY', userId: { not: null }, consumedAt: { gt: new Date(now.getTime() - VERIFIED_RECOVERY_TTL_SECONDS * 1000) } },
    select: { userId: true, verifiedChannel: true, user: { select: { email: true } } },
  });
  const via = challenge?.verifiedChannel;
  if (!challenge?.userId || !challenge.user || !via || via === 'TRUSTED_DEVICE') return undefined;
  // The account's own address: where mail about this recovery goes (pages show it masked).
  return { userId: challenge.userId, proof: via === 'EMAIL' ? 'email_code' : 'phone_code', email: challenge.user.email };
}
