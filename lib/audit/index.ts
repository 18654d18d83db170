import { createHash } from 'node:crypto';
import type { Db } from '@/lib/db/client';
import type { ActorType, Prisma } from '@/lib/db/generated/client';

/**
 * The audit log (security.md rule 20; product.md C: "append-only and tamper-evident, searchable").
 *
 * Each row carries the hash of the row before it, and its own hash covers that link plus every
 * field of the event: hash = SHA-256(prevHash || canonical JSON of the event). Editing a row breaks
 * its own hash; deleting or inserting one breaks the link of the row after it. Two changes are
 * only caught by comparing the newest hash with a copy kept elsewhere (an anchor), which this
 * module does not keep yet: cutting off the newest rows, and rewriting a row together with every
 * row after it.
 */

export type AuditActorType = ActorType;

export type AuditEventInput = {
  actorType: ActorType;
  actorId?: string | null | undefined;
  /** A stable verb-noun name, e.g. "authenticator.replaced", "document.viewed". */
  action: string;
  subjectType?: string | null | undefined;
  subjectId?: string | null | undefined;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  /** Facts about the event. Never secrets: see assertNoSecrets. */
  data?: Record<string, unknown> | undefined;
  /** When it happened (stored and shown in UTC). */
  occurredAt: Date;
};

export type AuditEntry = {
  seq: bigint;
  occurredAt: Date;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  ip: string | null;
  userAgent: string | null;
  data: unknown;
};

type AuditClient = Db | Prisma.TransactionClient;

export const GENESIS_HASH: Uint8Array<ArrayBuffer> = new Uint8Array(32);

/**
 * One application-wide key for pg_advisory_xact_lock ("regainAu" in ASCII). Every append takes it,
 * so appends run one at a time and each sees the row before it: two concurrent appends reading the
 * same last hash would fork the chain into two rows claiming the same predecessor.
 */
const AUDIT_CHAIN_LOCK = 0x7265_6761_696e_4175n;

/**
 * Appends one event to the chain. Pass an interactive transaction to make the audit row part of
 * the change it records (it commits or rolls back with it); the chain lock is then held until that
 * transaction ends, so keep such transactions short.
 */
export async function recordAudit(db: AuditClient, event: AuditEventInput): Promise<{ seq: bigint; hash: Uint8Array }> {
  if (!event.action) throw new Error('recordAudit: action is required');
  if (Number.isNaN(event.occurredAt.getTime())) throw new Error('recordAudit: occurredAt is not a valid date');
  const data = event.data === undefined ? {} : toJsonValue(event.data);
  assertNoSecrets(data);

  const fields: ChainedFields = {
    occurredAt: event.occurredAt,
    actorType: event.actorType,
    actorId: event.actorId ?? null,
    action: event.action,
    subjectType: event.subjectType ?? null,
    subjectId: event.subjectId ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    data,
  };

  const append = async (tx: Prisma.TransactionClient) => {
    const [state] = await tx.$queryRaw<{ isolation: string }[]>`
      SELECT current_setting('transaction_isolation') AS isolation
      FROM (SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})) AS locked`;
    // Under REPEATABLE READ or SERIALIZABLE the snapshot predates the lock, so the last row read
    // below could be stale and the chain would fork. Only READ COMMITTED (the default) reads what
    // the previous lock holder committed.
    if (state?.isolation !== 'read committed') {
      throw new Error(`recordAudit needs a READ COMMITTED transaction, not ${state?.isolation ?? 'unknown'}`);
    }
    const last = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
    const prevHash = last ? new Uint8Array(last.hash) : GENESIS_HASH;
    const hash = chainHash(prevHash, fields);
    const row = await tx.auditEvent.create({
      data: { ...fields, data: data as Prisma.InputJsonValue, prevHash, hash },
      select: { seq: true },
    });
    return { seq: row.seq, hash };
  };

  if (isBaseClient(db)) {
    // Waiting for the lock counts against the transaction timeout; a burst of appends queues up.
    return db.$transaction(append, { maxWait: 10_000, timeout: 15_000 });
  }
  return append(db);
}

export type AuditChainReport =
  | { ok: true; checked: number }
  | { ok: false; checked: number; firstBrokenSeq: bigint; reason: 'hash_mismatch' | 'prev_mismatch' };

/**
 * Re-computes the chain from the first row, `batchSize` rows at a time in seq order, so memory stays
 * flat however long the log is. `checked` counts the rows found intact before the first break.
 * Rows appended while it runs are checked too (they extend the chain).
 */
export async function verifyAuditChain({
  db,
  batchSize = 1_000,
}: {
  db: Pick<Db, 'auditEvent'>;
  batchSize?: number;
}): Promise<AuditChainReport> {
  const take = Math.max(1, Math.floor(batchSize));
  let expectedPrev: Uint8Array = GENESIS_HASH;
  let after: bigint | undefined;
  let checked = 0;

  for (;;) {
    const rows = await db.auditEvent.findMany({
      ...(after === undefined ? {} : { where: { seq: { gt: after } } }),
      orderBy: { seq: 'asc' },
      take,
      select: {
        seq: true,
        occurredAt: true,
        actorType: true,
        actorId: true,
        action: true,
        subjectType: true,
        subjectId: true,
        ip: true,
        userAgent: true,
        data: true,
        prevHash: true,
        hash: true,
      },
    });
    for (const row of rows) {
      if (!sameBytes(row.prevHash, expectedPrev)) return { ok: false, checked, firstBrokenSeq: row.seq, reason: 'prev_mismatch' };
      const { seq: _seq, prevHash, hash, ...fields } = row;
      if (!sameBytes(hash, chainHash(prevHash, fields as ChainedFields))) {
        return { ok: false, checked, firstBrokenSeq: row.seq, reason: 'hash_mismatch' };
      }
      expectedPrev = new Uint8Array(hash);
      after = row.seq;
      checked++;
    }
    if (rows.length < take) break;
  }
  return { ok: true, checked };
}

export type AuditFilters = {
  subjectId?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  /** Inclusive. */
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
};

export const AUDIT_PAGE_MAX = 200;

/**
 * Newest first, keyset-paginated on seq: pass the returned `nextCursor` to get the next (older)
 * page. Stable while new events arrive, unlike offsets, and cheap on a large table.
 */
export async function searchAudit({
  db,
  filters,
  cursor,
  limit,
}: {
  db: Pick<Db, 'auditEvent'>;
  filters: AuditFilters;
  /** The seq of the last event of the previous page; events older than it are returned. */
  cursor?: bigint | undefined;
  limit: number;
}): Promise<{ events: AuditEntry[]; nextCursor: bigint | null }> {
  const take = Math.min(Math.max(1, Math.floor(limit)), AUDIT_PAGE_MAX);
  // strictUndefinedChecks is on (schema.prisma): only filters actually given become conditions.
  const where: Prisma.AuditEventWhereInput = {
    ...(filters.subjectId !== undefined ? { subjectId: filters.subjectId } : {}),
    ...(filters.actorId !== undefined ? { actorId: filters.actorId } : {}),
    ...(filters.action !== undefined ? { action: filters.action } : {}),
    ...(filters.from !== undefined || filters.to !== undefined
      ? { occurredAt: { ...(filters.from ? { gte: filters.from } : {}), ...(filters.to ? { lt: filters.to } : {}) } }
      : {}),
    ...(cursor !== undefined ? { seq: { lt: cursor } } : {}),
  };
  const rows = await db.auditEvent.findMany({
    where,
    orderBy: { seq: 'desc' },
    take: take + 1,
    select: {
      seq: true,
      occurredAt: true,
      actorType: true,
      actorId: true,
      action: true,
      subjectType: true,
      subjectId: true,
      ip: true,
      userAgent: true,
      data: true,
    },
  });
  const events = rows.slice(0, take);
  return { events, nextCursor: rows.length > take ? events[events.length - 1]!.seq : null };
}

// ── The chain ────────────────────────────────────────────────────────────────

type ChainedFields = {
  occurredAt: Date;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  ip: string | null;
  userAgent: string | null;
  data: unknown;
};

/** SHA-256(prevHash || canonical JSON). A version field lets the encoding change without ambiguity. */
export function chainHash(prevHash: Uint8Array, fields: ChainedFields): Uint8Array<ArrayBuffer> {
  const body = canonicalJson({
    v: 1,
    occurredAt: fields.occurredAt,
    actorType: fields.actorType,
    actorId: fields.actorId,
    action: fields.action,
    subjectType: fields.subjectType,
    subjectId: fields.subjectId,
    ip: fields.ip,
    userAgent: fields.userAgent,
    data: fields.data,
  });
  const digest = createHash('sha256').update(prevHash).update(body, 'utf8').digest();
  return new Uint8Array(digest);
}

/**
 * JSON with object keys in code-unit order at every depth and dates as ISO strings, so the same
 * event always gives the same bytes whatever order its keys were written in or PostgreSQL's jsonb
 * handed them back in.
 */
export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    if (value === undefined) return 'null';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/**
 * `data` exactly as it will come back from jsonb: what JSON can carry (dates become ISO strings,
 * undefined members disappear, toJSON is applied). Hashing this, not the caller's object, keeps the
 * hash at write time equal to the one verification computes from the stored row.
 */
function toJsonValue(data: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.stringify(data);
  if (json === undefined) return {};
  const parsed: unknown = JSON.parse(json);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('recordAudit: data must be an object');
  return parsed as Record<string, unknown>;
}

// ── No secrets in the log ────────────────────────────────────────────────────

/**
 * Rule 20 ("without secrets") and rule 1 (codes never logged): the audit log is kept for years,
 * read by support staff and can never be edited, so a code or token written into it could not even
 * be removed. This is a tripwire for the obvious mistakes, not a proof: it refuses any key whose
 * words include one of these, at any depth, so `{ code }`, `codeHash`, `otp_code`, `newPassword`,
 * `sessionToken` or `totpSecret` fail loudly in tests instead of reaching production. Name
 * harmless facts differently (`failureReason`, not `errorCode`).
 */
const SECRET_WORDS = new Set([
  'code',
  'otp',
  'totp',
  'hotp',
  'pin',
  'password',
  'passwd',
  'passcode',
  'passphrase',
  'secret',
  'token',
  'cookie',
  'authorization',
  'mnemonic',
]);
const SECRET_FRAGMENTS = ['password', 'passcode', 'secret', 'token'];

export class AuditSecretError extends Error {
  constructor(readonly key: string) {
    super(`audit data must not hold secrets: key "${key}" is refused (security.md rule 20)`);
    this.name = 'AuditSecretError';
  }
}

export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  const compact = words.join('');
  return SECRET_FRAGMENTS.some((fragment) => compact.includes(fragment));
}

export function assertNoSecrets(value: unknown, path = 'data'): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertNoSecrets(item, `${path}[${index}]`));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (isSecretKey(key)) throw new AuditSecretError(`${path}.${key}`);
    assertNoSecrets(inner, `${path}.${key}`);
  }
}

// ── Helpers ──────────────────────────────────────────────────────────────────

function isBaseClient(db: AuditClient): db is Db {
  return typeof (db as { $transaction?: unknown }).$transaction === 'function';
}

function sameBytes(a: Uint8Array, b: Uint8Array) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
