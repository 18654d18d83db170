import { randomUUID } from 'node:crypto';
import type { Db } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import type { ChallengePurpose, ChallengeSubject, Channel } from '@/lib/db/generated/enums';
import { isUuid } from '@/lib/db/ids';
import { type DbClient, inTransaction } from '@/lib/db/transaction';
import { consumeRateLimit, rateLimited } from '@/lib/limits';
import { type Admission, admitAttempt, released, succeeded } from '@/lib/limits/failures';
import { CODE_FAILURES, VERIFY_FAILURES_PER_IP } from '@/lib/limits/policy';
import { codeMatches, generateCode, hashCode } from './codes';
import { CODE_TTL_SECONDS, MAX_ATTEMPTS } from './policy';

/**
 * The one-time code behind every emailed, texted or spoken code: account recovery, a ticket's
 * status page, video call and contact address, and a reset's new contact (docs/security.md rules
 * 1-3 and 13).
 *
 * - issueCode: six CSPRNG digits, stored only as an HMAC keyed with the server secret and bound to
 *   the challenge id (rule 1); 10 minutes (rule 2); a budget of attempts; the subject the code is
 *   about. A decoy stores no code at all and so never verifies (rule 13).
 * - attemptCode: one SQL statement counts the attempt and refuses it past the budget or the
 *   expiry; the hash is compared in constant time. A challenge of another purpose or subject is
 *   unknown to the caller that names one (rule 2: only for the challenge that created it).
 * - consumeCode: single use; of N concurrent consumers of one code exactly one wins (rule 2), and
 *   the channel of the code entered is recorded as the proof in that same statement.
 */

/** A ticket or reset by id, or what a person typed by its keyed hash (a recovery identifier, a ticket decoy). */
export type CodeSubject =
  | { type: ChallengeSubject; id: string; hash?: undefined }
  | { type: ChallengeSubject; hash: Uint8Array<ArrayBuffer>; id?: undefined };

/** What a challenge is, once an attempt was counted on it. Never the code or its hash. */
export type CodeChallenge = { id: string; userId: string | null; subjectType: ChallengeSubject; subjectId: string | null; channel: Channel };

type Admitted = Extract<Admission, { allowed: true }>;

type Counted = { attemptsLeft: number; challenge: CodeChallenge; admission: Admitted | undefined };

export type MatchedCode = Counted & { outcome: 'match' };

export type CodeAttempt = MatchedCode | (Counted & { outcome: 'wrong' }) | { outcome: 'unknown' | 'expired' | 'used' | 'exhausted' };

function subjectWhere(subject: CodeSubject) {
  return subject.id !== undefined ? { subjectType: subject.type, subjectId: subject.id } : { subjectType: subject.type, identifierHash: subject.hash };
}

/** A stable, opaque reference to a subject for limiter keys: the id's 16 bytes or the hash, base64url. */
export function subjectReference(subject: { subjectId: string | null; identifierHash: Uint8Array | null }): string {
  const bytes = subject.subjectId ? Buffer.from(subject.subjectId.replace(/-/g, ''), 'hex') : Buffer.from(subject.identifierHash ?? []);
  return bytes.toString('base64url');
}

/**
 * Creates a challenge and its code. With `supersede`, the live codes this client asked for earlier
 * for the same subject and purpose stop working and the new one starts with their attempts:
 * asking again never buys more guesses (rule 3). Other clients' codes are left alone, so a
 * stranger cannot kill the owner's code (rule 23). The returned code is for the message only.
 */
export async function issueCode(
  db: DbClient,
  input: {
    hmacKey: Buffer;
    purpose: ChallengePurpose;
    subject: CodeSubject;
    /** The account the code proves something for; null for a decoy and for a ticket's typed address. */
    userId: string | null;
    /** False for a decoy: stored and answered like a real challenge, with no code (rule 13). */
    real: boolean;
    channel: Channel;
    destinationMasked: string;
    standIns?: { phone: string | null; email: string | null } | undefined;
    requestIp?: string | null | undefined;
    requestUserAgent?: string | null | undefined;
    supersede?: boolean | undefined;
    now: Date;
    newCode?: (() => string) | undefined;
  },
): Promise<{ challengeId: string; code: string; expiresAt: Date; attemptsLeft: number }> {
  const { now } = input;
  const challengeId = randomUUID();
  const code = (input.newCode ?? generateCode)();
  const expiresAt = new Date(now.getTime() + CODE_TTL_SECONDS * 1000);
  const requestIp = input.requestIp ?? null;
  // Hashed for a decoy too, and dropped: the same work either way (rule 13).
  const codeHash = hashCode(input.hmacKey, challengeId, code);
  const create = (tx: DbClient, carried: number) =>
    tx.verificationChallenge.create({
      data: {
        id: challengeId,
        purpose: input.purpose,
        userId: input.userId,
        subjectType: input.subject.type,
        subjectId: input.subject.id ?? null,
        identifierHash: input.subject.hash ?? null,
        channel: input.channel,
        destinationMasked: input.destinationMasked,
        standInPhoneMasked: input.standIns?.phone ?? null,
        standInEmailMasked: input.standIns?.email ?? null,
        codeHash: input.real ? codeHash : null,
        attempts: carried,
        maxAttempts: MAX_ATTEMPTS,
        sendCount: 1,
        lastSentAt: now,
        expiresAt,
        requestIp,
        requestUserAgent: input.requestUserAgent?.slice(0, 300) ?? null,
      },
      select: { id: true },
    });
  if (!input.supersede) {
    await create(db, 0);
    return { challengeId, code, expiresAt, attemptsLeft: MAX_ATTEMPTS };
  }
  const attempts = await inTransaction(db, async (tx) => {
    // One issue at a time per subject and client: two at once must not both find nothing to carry.
    const lock = `code-challenge:${input.purpose}:${input.subject.type}:${subjectReference({ subjectId: input.subject.id ?? null, identifierHash: input.subject.hash ?? null })}:${requestIp ?? ''}`;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${lock}, 0))`;
    const earlier = await tx.verificationChallenge.updateManyAndReturn({
      where: { purpose: input.purpose, ...subjectWhere(input.subject), requestIp, consumedAt: null, expiresAt: { gt: now } },
      data: { expiresAt: now },
      select: { attempts: true },
    });
    const carried = Math.min(MAX_ATTEMPTS, Math.max(0, ...earlier.map((row) => row.attempts)));
    await create(tx, carried);
    return carried;
  });
  return { challengeId, code, expiresAt, attemptsLeft: MAX_ATTEMPTS - attempts };
}

/**
 * "Send a new code" on the same challenge: the previous code stops working, the attempts stay
 * (rule 3) and the 10 minutes start again. Undefined when the challenge ended in the meantime.
 */
export async function renewCode(
  db: DbClient,
  input: { hmacKey: Buffer; challengeId: string; real: boolean; channel: Channel; destinationMasked: string; now: Date; newCode?: (() => string) | undefined },
): Promise<{ code: string; expiresAt: Date } | undefined> {
  const { now } = input;
  const code = (input.newCode ?? generateCode)();
  const hashed = hashCode(input.hmacKey, input.challengeId, code);
  const codeHash = input.real ? hashed : null;
  const expiresAt = new Date(now.getTime() + CODE_TTL_SECONDS * 1000);
  const count = await db.$executeRaw`
    UPDATE "VerificationChallenge"
    SET "codeHash" = ${codeHash}, "channel" = ${input.channel}::"Channel", "destinationMasked" = ${input.destinationMasked},
        "sendCount" = "sendCount" + 1, "lastSentAt" = ${now}, "expiresAt" = ${expiresAt}
    WHERE "id" = ${input.challengeId}::uuid AND "consumedAt" IS NULL AND "expiresAt" > ${now} AND "attempts" < "maxAttempts"`;
  return count === 1 ? { code, expiresAt } : undefined;
}

type CountedRow = {
  state: 'counted' | 'used' | 'exhausted' | 'expired';
  attempts: number | null;
  maxAttempts: number | null;
  codeHash: Uint8Array | null;
  userId: string | null;
  subjectType: ChallengeSubject | null;
  subjectId: string | null;
  channel: Channel | null;
};

/**
 * Counts one attempt at a challenge's code and compares it (ASVS 6.5.1, 6.6.2). A match is not
 * consumed here: the caller may need a second proof first, then calls consumeCode once.
 *
 * With `limits`, every try also counts per client address (rule 14), and failures count per
 * subject AND client with CODE_FAILURES (rules 3, 23): the failure is reserved before the attempt
 * is counted, kept for a wrong code, and given back when the try was no guess (consumeCode, or
 * the caller's own `released` when it refuses a right code for another reason).
 */
export async function attemptCode(
  db: Db,
  input: {
    hmacKey: Buffer;
    challengeId: string;
    purpose: ChallengePurpose;
    code: string;
    now: Date;
    /** The only subject the caller accepts: a challenge of any other is unknown to it. */
    subject?: { type: ChallengeSubject; id: string } | undefined;
    limits?: { client: string; scope: string } | undefined;
  },
): Promise<CodeAttempt> {
  const { now, limits } = input;
  if (limits) {
    const perIp = await consumeRateLimit(db, `verify:ip:${limits.client}`, VERIFY_FAILURES_PER_IP, now);
    if (!perIp.allowed) throw rateLimited(perIp.retryAfterSeconds, 'attempts');
  }
  if (!isUuid(input.challengeId) || (input.subject && !isUuid(input.subject.id))) return { outcome: 'unknown' };
  const where = Prisma.sql`"id" = ${input.challengeId}::uuid AND "purpose" = ${input.purpose}::"ChallengePurpose" ${
    input.subject ? Prisma.sql`AND "subjectType" = ${input.subject.type}::"ChallengeSubject" AND "subjectId" = ${input.subject.id}::uuid` : Prisma.empty
  }`;

  let admission: Admitted | undefined;
  if (limits) {
    // A dead challenge is answered before anything is reserved: trying it is not a guess.
    const [target] = await db.$queryRaw<{ consumedAt: Date | null; attempts: number; maxAttempts: number; subjectId: string | null; identifierHash: Uint8Array | null }[]>`
      SELECT "consumedAt", "attempts", "maxAttempts", "subjectId", "identifierHash" FROM "VerificationChallenge" WHERE ${where}`;
    if (!target) return { outcome: 'unknown' };
    if (target.consumedAt) return { outcome: 'used' };
    if (target.attempts >= target.maxAttempts) return { outcome: 'exhausted' };
    const decision = await admitAttempt(db, CODE_FAILURES, { subject: `${limits.scope}:${subjectReference(target)}`, client: limits.client }, now);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, 'wrong codes');
    admission = decision;
  }

  // One statement: the row is locked, the attempt counted only while the code is live and within
  // its budget, and the answer says which it was, so no two requests share an attempt.
  const [row] = await db.$queryRaw<CountedRow[]>`
    WITH "target" AS (
      SELECT "id", "consumedAt", "expiresAt", "attempts", "maxAttempts" FROM "VerificationChallenge" WHERE ${where} FOR UPDATE
    ), "counted" AS (
      UPDATE "VerificationChallenge" AS c SET "attempts" = c."attempts" + 1
      FROM "target" AS t
      WHERE c."id" = t."id" AND t."consumedAt" IS NULL AND t."expiresAt" > ${now} AND t."attempts" < t."maxAttempts"
      RETURNING c."attempts", c."maxAttempts", c."codeHash", c."userId", c."subjectType", c."subjectId", c."channel"
    )
    SELECT CASE WHEN k."attempts" IS NOT NULL THEN 'counted'
                WHEN t."consumedAt" IS NOT NULL THEN 'used'
                WHEN t."attempts" >= t."maxAttempts" THEN 'exhausted'
                ELSE 'expired' END AS "state",
           k."attempts", k."maxAttempts", k."codeHash", k."userId", k."subjectType", k."subjectId", k."channel"
    FROM "target" AS t LEFT JOIN "counted" AS k ON TRUE`;
  if (!row || row.state !== 'counted') {
    if (admission) await released(db, admission);
    return { outcome: row ? (row.state as Exclude<CountedRow['state'], 'counted'>) : 'unknown' };
  }
  const challenge: CodeChallenge = { id: input.challengeId, userId: row.userId, subjectType: row.subjectType!, subjectId: row.subjectId, channel: row.channel! };
  const attemptsLeft = Math.max(0, row.maxAttempts! - row.attempts!);
  // A decoy has no hash; codeMatches compares anyway, so both take the same time (rule 13).
  const match = codeMatches(input.hmacKey, input.challengeId, input.code, row.codeHash);
  return { outcome: match ? 'match' : 'wrong', attemptsLeft, challenge, admission };
}

/**
 * Spends a matched code: exactly one of N concurrent consumers gets true (rule 2). The channel of
 * the code entered becomes the challenge's proof in the same statement. A device approval is never
 * consumed by a code. Runs on the client or in the caller's transaction.
 */
export async function consumeCode(db: DbClient, attempt: MatchedCode, now: Date): Promise<boolean> {
  const count = await db.$executeRaw`
    UPDATE "VerificationChallenge" SET "consumedAt" = ${now}, "verifiedChannel" = "channel"
    WHERE "id" = ${attempt.challenge.id}::uuid AND "consumedAt" IS NULL AND "channel" <> 'TRUSTED_DEVICE'`;
  if (attempt.admission) {
    // The limiter's writes are plain row updates: they run on a client or in a transaction alike.
    const limiterDb = db as Db;
    if (count === 1) await succeeded(limiterDb, attempt.admission);
    else await released(limiterDb, attempt.admission);
  }
  return count === 1;
}
