import { randomBytes, randomUUID } from 'node:crypto';
import { ZodError } from 'zod';
import { totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { AgentRole, RiskLevel, TicketStatus } from '@/lib/db/generated/enums';
import { AppError, describeError } from '@/lib/errors';
import { finishPasskeyRegistration, startPasskeyRegistration, type RelyingParty } from '@/lib/passkeys';
import { generateReference, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import { createTrustedDevice } from '@/lib/sessions/devices';
import { hashPassword } from '@/lib/sessions/password';
import { type Approver, requestApproval } from '@/lib/sessions/approvals';
import { createUser } from '../../support/factories';
import { SoftAuthenticator } from '../../support/soft-authenticator';
import { median, mannWhitneyU } from '../../support/stats';

/**
 * Shared pieces of the attack-resistance suite: keys, an account with every factor,
 * tickets in any state, the way the routes turn an error into what a person sees, and the
 * statistical timing comparison. Each test file brings its own database (useTestDatabase).
 */

export const rp: RelyingParty = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };
export const keys = { hmacKey: randomBytes(32), encryptionKey: randomBytes(32) };
export const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36';
export const PASSWORD = 'correct horse battery staple';
export const MEETING_TEMPLATE = 'https://meet.jit.si/regain-{room}';

/** The start of a 30-second TOTP step, 5 s in, a month ahead (no "recent change" risk for fresh accounts). */
export const T0 = new Date(Math.floor((Date.now() + 30 * 86_400_000) / 30_000) * 30_000 + 5_000);

let passwordHash: Promise<string> | undefined;
/** One argon2id hash shared by every test account: the password is the same, the hashing is not the point. */
export function sharedPasswordHash() {
  passwordHash ??= hashPassword(PASSWORD);
  return passwordHash;
}

export type Holder = Awaited<ReturnType<typeof accountHolder>>;

/** An account holder with a password, optionally an authenticator app (secret known here) and a passkey. */
export async function accountHolder(db: Db, options: { authenticator?: boolean; passkey?: boolean; phone?: string | null } = {}) {
  const user = await createUser(db, options.phone === undefined ? {} : { phone: options.phone });
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await sharedPasswordHash() } });
  const secret = randomBytes(20);
  if (options.authenticator) {
    await db.authenticator.create({
      data: { userId: user.id, encryptedSecret: seal(keys.encryptionKey, secret, `totp:user:${user.id}`), confirmedAt: new Date(T0.getTime() - 40 * 86_400_000) },
    });
  }
  const device = new SoftAuthenticator({ kind: 'this_device' });
  let passkeyId: string | undefined;
  if (options.passkey) passkeyId = (await registerPasskey(db, user.id, device)).passkey.id;
  const code = (when: Date) => totp(secret, { time: when });
  return { user, secret, device, passkeyId, code };
}

export async function registerPasskey(db: Db, userId: string, device: SoftAuthenticator, now = T0) {
  const options = await startPasskeyRegistration({ db, rp, owner: { userId }, userName: 'holder@example.com', displayName: 'Holder', now });
  return finishPasskeyRegistration({ db, rp, owner: { userId }, response: device.register(options, rp.origin), now });
}

/** A signed-in session that authenticated at `authAt` (fresh enough for factor changes when recent). */
export async function sessionFor(db: Db, userId: string, authAt = T0, deviceId: string | null = null) {
  return db.session.create({
    data: { userId, deviceId, method: 'password+totp', createdAt: authAt, lastSeenAt: authAt, authAt, expiresAt: new Date(authAt.getTime() + 86_400_000) },
    select: { id: true },
  });
}

/** A browser signed in on a trusted device of the account at `authAt`: one that may approve requests. */
export async function approverFor(db: Db, userId: string, authAt = T0): Promise<Approver & { deviceId: string }> {
  const trusted = await createTrustedDevice({ db, hmacKey: keys.hmacKey, userId, name: 'Laptop' });
  const session = await sessionFor(db, userId, authAt, trusted.device.id);
  return { userId, sessionId: session.id, deviceToken: trusted.token, deviceId: trusted.device.id };
}

/** A pending "approve on a signed-in device" request, as a reset with one verified code opens it. */
export async function pendingApproval(db: Db, userId: string, now = T0) {
  return requestApproval(db, { userId, resetId: randomUUID(), change: 'passkey', ip: '203.0.113.7', userAgent: UA, now });
}

export async function newAgent(db: Db, role: AgentRole = 'AGENT') {
  const row = await db.agent.create({
    data: { email: `agent-${randomBytes(5).toString('hex')}@example.com`, name: `Test ${role.toLowerCase()}`, role },
    select: { id: true },
  });
  return { agentId: row.id };
}

let emailCounter = 0;
export const freshEmail = (domain = 'example.com') => `person-${++emailCounter}-${randomBytes(3).toString('hex')}@${domain}`;

/** A recovery ticket written directly, in any status: the starting point for ticket attacks. */
export async function rawTicket(
  db: Db,
  options: { status?: TicketStatus; userId?: string | null; contactEmail?: string; lostFactors?: string[]; assigneeId?: string | null; risk?: RiskLevel; approvedById?: string | null } = {},
) {
  return db.recoveryTicket.create({
    data: {
      reference: generateReference(),
      userId: options.userId ?? null,
      type: 'PASSKEY_RESET',
      status: options.status ?? 'IN_REVIEW',
      contactEmail: options.contactEmail ?? freshEmail(),
      lostFactors: options.lostFactors ?? ['passkey'],
      riskLevel: options.risk ?? 'LOW',
      assigneeId: options.assigneeId ?? null,
      approvedById: options.approvedById ?? null,
      slaDueAt: new Date(T0.getTime() + TICKET_SLA_HOURS * 3_600_000),
      createdAt: T0,
    },
    select: { id: true, reference: true, contactEmail: true, userId: true },
  });
}

/** The state a verified "Can't sign in?" code leaves behind, for starting a two-proof reset. */
export async function verifiedRecoveryChallenge(db: Db, userId: string, channel: 'EMAIL' | 'SMS' = 'EMAIL', now = T0) {
  const challenge = await db.verificationChallenge.create({
    data: {
      id: randomUUID(),
      purpose: 'RECOVERY',
      userId,
      identifierHash: new Uint8Array(randomBytes(32)),
      channel,
      verifiedChannel: channel,
      expiresAt: new Date(now.getTime() + 600_000),
      consumedAt: new Date(now.getTime() - 5_000),
    },
    select: { id: true },
  });
  return challenge.id;
}

// ───────────────────────────── Outcomes as a person sees them ─────────────────────────────

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Whether an error is one the mapper answers with its own status (not a 500 with a log line). */
export function isExpectedError(error: unknown) {
  return error instanceof AppError || error instanceof ZodError;
}

/**
 * What a route or server action answers for an error (lib/errors describeError): status, body and
 * Retry-After. Unknown errors become 500; they are not logged here (the mapper would log them).
 */
export function publicAnswer(error: unknown) {
  if (!isExpectedError(error)) {
    return { status: 500, body: { error: { code: 'internal' as const, message: 'Something went wrong on our side. Please try again in a moment.' } }, retryAfterSeconds: undefined };
  }
  const { status, body, retryAfterSeconds } = describeError(error);
  return { status, body, retryAfterSeconds };
}

/** A short description of an unexpected error, for assertion messages. */
export function describeUnexpected(error: unknown) {
  const e = error as { name?: string; code?: string; message?: string };
  return `${e?.name ?? typeof error} ${e?.code ?? ''}: ${String(e?.message ?? error).split('\n').filter(Boolean).slice(-1)[0]?.slice(0, 160)}`;
}

/**
 * The structure of a value with the values themselves left out: keys (sorted) and the type of
 * each leaf, with strings classified (UUID, ISO time, masked contact, other). Two answers with the
 * same shape cannot be told apart by their form.
 */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value instanceof Date) return 'date';
  switch (typeof value) {
    case 'string':
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return 'string:uuid';
      if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) return 'string:iso-time';
      // Masked contacts are one kind: a decoy picks SMS or email the way real accounts split.
      if (value.includes('•')) return 'string:masked-contact';
      return 'string';
    case 'object':
      return Object.fromEntries(
        Object.keys(value as object)
          .sort()
          .map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]),
      );
    default:
      return typeof value;
  }
}

/** Replaces the values at the given key paths (e.g. "challengeId", "view.destination") so the rest can be compared exactly. */
export function masked(value: unknown, paths: string[]): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const path of paths) {
    const parts = path.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const part of parts.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    const last = parts.at(-1)!;
    if (node && last in node) node[last] = '<masked>';
  }
  return copy;
}

// ───────────────────────────── Timing ─────────────────────────────

export type TimingReport = {
  p: number;
  medianA: number;
  medianB: number;
  difference: number;
  summary: string;
  /** The raw samples in ms, for compareTimings (tests/support/stats.ts). */
  a: number[];
  b: number[];
};

/**
 * Runs `rounds` pairs, interleaved and alternating which goes first (ABBA), after `warmup` unmeasured
 * pairs (JIT, connection pool, lazily built decoy hashes). Each call gets its own round index so it
 * can use fresh identifiers and addresses (no limit interferes).
 *
 * With `settled` and `maxRounds`, a run whose samples do not yet settle the question (too noisy to
 * bound the difference) goes on in steps of `rounds` pairs up to `maxRounds`: more samples narrow
 * the interval, where a re-run would only roll the dice again.
 */
export async function timePairs(options: {
  rounds: number;
  maxRounds?: number;
  settled?: (a: number[], b: number[]) => boolean;
  warmup?: number;
  a: (round: number) => Promise<unknown>;
  b: (round: number) => Promise<unknown>;
  /** Untimed work after each call, e.g. the deliveries a route would run after its response. */
  between?: () => Promise<void>;
}): Promise<TimingReport> {
  const measure = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work().catch(() => undefined);
    const elapsed = performance.now() - started;
    await options.between?.();
    return elapsed;
  };
  const warmup = options.warmup ?? 3;
  for (let i = 0; i < warmup; i++) {
    await measure(() => options.a(-1 - i));
    await measure(() => options.b(-1 - i));
  }
  const a: number[] = [];
  const b: number[] = [];
  const maxRounds = Math.max(options.rounds, options.maxRounds ?? options.rounds);
  for (let round = 0; round < maxRounds; round++) {
    if (round > 0 && round % options.rounds === 0 && (!options.settled || options.settled(a, b))) break;
    if (round % 2 === 0) {
      a.push(await measure(() => options.a(round)));
      b.push(await measure(() => options.b(round)));
    } else {
      b.push(await measure(() => options.b(round)));
      a.push(await measure(() => options.a(round)));
    }
  }
  const { p } = mannWhitneyU(a, b);
  const medianA = median(a);
  const medianB = median(b);
  const difference = Math.abs(medianA - medianB);
  return { p, medianA, medianB, difference, summary: `p=${p.toFixed(4)}, medians ${medianA.toFixed(2)} vs ${medianB.toFixed(2)} ms (|Δ| ${difference.toFixed(2)} ms)`, a, b };
}

/**
 * Like Next's after(): the work runs once the response is out, never inside the timed request.
 * (tests/support's collectingScheduler starts the work at once, which suits tests that only need
 * to wait for it.)
 */
export function afterResponse() {
  const queued: (() => Promise<void>)[] = [];
  return {
    schedule: (work: () => Promise<void>) => void queued.push(work),
    flush: async () => {
      await Promise.all(queued.splice(0).map((work) => work()));
    },
  };
}

// ───────────────────────────── Row counts ─────────────────────────────

const COUNTED_TABLES = [
  'User',
  'Session',
  'TrustedDevice',
  'SignInEvent',
  'PasskeyCredential',
  'WebAuthnChallenge',
  'Authenticator',
  'VerificationChallenge',
  'RateLimitBucket',
  'SecurityHold',
  'RecoveryReset',
  'RecoveryTicket',
  'TicketMessage',
  'TicketDocument',
  'VideoAppointment',
  'AuditEvent',
  'OutboundMessage',
  'WebhookDelivery',
] as const;

/** Every table a public entry point could write to, counted in one statement. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const select = COUNTED_TABLES.map((t) => `(SELECT count(*) FROM "${t}")::int AS "${t}"`).join(', ');
  const [row] = await db.$queryRawUnsafe<Record<string, number>[]>(`SELECT ${select}`);
  return row!;
}
