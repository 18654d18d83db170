import { createHash, createHmac } from 'node:crypto';
import { getAuditKey } from '@/lib/config';
import type { Db } from '@/lib/db/client';
import type { ActorType, Prisma } from '@/lib/db/generated/client';
import { enqueueWebhook } from '@/lib/webhooks';

/**
 * The audit log (docs/security.md rule 20; docs/product.md C: "append-only and tamper-evident, searchable").
 *
 * Each row carries the hash of the row before it, and its own hash covers that link plus every
 * field of the event. Since chain version 2 the hash is keyed: HMAC-SHA-256(AUDIT_KEY, prevHash ||
 * canonical JSON of the event). The key lives outside the database (lib/config), so someone who can
 * only write the table can no longer delete or edit a row and re-hash the rest: the MACs they would
 * need cannot be computed without the key.
 *
 * Two changes no chain can catch on its own, cutting off the newest rows and rewriting the whole
 * table as old unkeyed rows, are caught by anchors: copies of the head (seq and hash) taken every
 * hour and on demand, MAC'd with the same key, kept in an append-only table and sent to the host
 * platform in a signed `audit.anchor` webhook. Verification checks the chain against every anchor.
 *
 * Rows from before the key (version 1, plain SHA-256) stay verifiable. They are accepted only up to
 * the "legacy seal", an anchor written when the first keyed row follows them; version 1 rows after
 * the seal, or with no seal at all, are a break (README, "Audit log").
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
  const key = getAuditKey();
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
    const last = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true, chainVersion: true } });
    // The first keyed row after unkeyed ones seals them: from now on an unkeyed row is accepted only
    // at or before this anchor, so nobody can rewrite the table as unkeyed rows later.
    if (last && last.chainVersion === 1) await writeAnchor(tx, key, { headSeq: last.seq, headHash: last.hash, reason: 'legacy_seal', now: event.occurredAt });
    const prevHash = last ? new Uint8Array(last.hash) : GENESIS_HASH;
    const hash = chainHash(prevHash, fields, key);
    const row = await tx.auditEvent.create({
      data: { ...fields, data: data as Prisma.InputJsonValue, prevHash, hash, chainVersion: KEYED_CHAIN_VERSION },
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

/** An anchor as verification reports it: which head it pinned and when. */
export type AuditAnchorInfo = { id: bigint; headSeq: bigint; anchoredAt: Date; reason: string };

export type AuditBreakReason =
  /** A row's MAC (or, for legacy rows, hash) does not match its fields: edited, or re-hashed without the key. */
  | 'hash_mismatch'
  /** A row does not point at the row before it: a row was deleted or inserted. */
  | 'prev_mismatch'
  /** An unkeyed row where only keyed rows may be: after the legacy seal, or with no seal at all. */
  | 'unkeyed_row'
  /** The row an anchor pinned is gone or no longer has the anchored hash. */
  | 'anchor_mismatch'
  /** An anchor pins a head the log no longer reaches: rows were cut off the end. */
  | 'anchor_missing'
  /** An anchor whose MAC is wrong: written by someone without the key. */
  | 'anchor_forged';

export type AuditChainReport =
  | { ok: true; checked: number; anchors: number; lastAnchor: AuditAnchorInfo | null }
  | {
      ok: false;
      checked: number;
      firstBrokenSeq: bigint;
      reason: AuditBreakReason;
      /**
       * For an anchor_* reason the anchor that no longer holds; otherwise the last anchor the chain
       * still matched before the break ("rows after anchor N were altered"), null if none.
       */
      anchor: AuditAnchorInfo | null;
    };

/**
 * Re-computes the chain from the first row, `batchSize` rows at a time in seq order, so memory stays
 * flat however long the log is, and checks it against every anchor. `checked` counts the rows found
 * intact before the first break. Rows appended while it runs are checked too (they extend the chain).
 * `key` defaults to AUDIT_KEY; tests pass another to play an attacker who does not have it.
 */
export async function verifyAuditChain({
  db,
  batchSize = 1_000,
  key = getAuditKey(),
}: {
  db: Pick<Db, 'auditEvent' | 'auditAnchor'>;
  batchSize?: number;
  key?: Buffer;
}): Promise<AuditChainReport> {
  const take = Math.max(1, Math.floor(batchSize));
  // Read before the rows, so every anchor read here pins a head the walk below can reach.
  const anchorRows = await db.auditAnchor.findMany({ orderBy: [{ headSeq: 'asc' }, { id: 'asc' }] });
  const anchors = anchorRows.map((a) => ({ ...a, info: { id: a.id, headSeq: a.headSeq, anchoredAt: a.anchoredAt, reason: a.reason } }));
  for (const anchor of anchors) {
    if (!sameBytes(anchor.mac, anchorMac(key, anchor))) {
      return { ok: false, checked: 0, firstBrokenSeq: anchor.headSeq, reason: 'anchor_forged', anchor: anchor.info };
    }
  }
  const seal = anchors.filter((a) => a.reason === 'legacy_seal').at(-1);
  let next = 0;
  let lastGood: AuditAnchorInfo | null = null;
  const broken = (seq: bigint, reason: AuditBreakReason, anchor: AuditAnchorInfo | null = lastGood) =>
    ({ ok: false as const, checked, firstBrokenSeq: seq, reason, anchor });

  let expectedPrev: Uint8Array = GENESIS_HASH;
  let after: bigint | undefined;
  let checked = 0;
  // Anchors of an empty log pin the genesis hash.
  while (next < anchors.length && anchors[next]!.headSeq === 0n) {
    if (!sameBytes(anchors[next]!.headHash, GENESIS_HASH)) return broken(0n, 'anchor_mismatch', anchors[next]!.info);
    lastGood = anchors[next++]!.info;
  }

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
        chainVersion: true,
      },
    });
    for (const row of rows) {
      // An anchor pinned a seq the walk has stepped over: that row is gone.
      if (next < anchors.length && anchors[next]!.headSeq < row.seq) return broken(anchors[next]!.headSeq, 'anchor_mismatch', anchors[next]!.info);
      if (!sameBytes(row.prevHash, expectedPrev)) return broken(row.seq, 'prev_mismatch');
      const { seq: _seq, prevHash, hash, chainVersion, ...fields } = row;
      if (chainVersion === LEGACY_CHAIN_VERSION) {
        if (!seal || row.seq > seal.headSeq) return broken(row.seq, 'unkeyed_row');
        if (!sameBytes(hash, chainHash(prevHash, fields as ChainedFields))) return broken(row.seq, 'hash_mismatch');
      } else if (chainVersion !== KEYED_CHAIN_VERSION || !sameBytes(hash, chainHash(prevHash, fields as ChainedFields, key))) {
        return broken(row.seq, 'hash_mismatch');
      }
      while (next < anchors.length && anchors[next]!.headSeq === row.seq) {
        if (!sameBytes(anchors[next]!.headHash, hash)) return broken(row.seq, 'anchor_mismatch', anchors[next]!.info);
        lastGood = anchors[next++]!.info;
      }
      expectedPrev = new Uint8Array(hash);
      after = row.seq;
      checked++;
    }
    if (rows.length < take) break;
  }
  if (next < anchors.length) return broken(anchors[next]!.headSeq, 'anchor_missing', anchors[next]!.info);
  return { ok: true, checked, anchors: anchors.length, lastAnchor: lastGood };
}

/**
 * Pins the current head: an append-only anchor row (MAC'd with AUDIT_KEY) and an `audit.anchor`
 * webhook to the host carrying the same facts, in one transaction under the chain lock, so the
 * anchored head is exactly the last committed row. Run hourly by housekeeping and on demand.
 */
export async function anchorAuditHead({
  db,
  now,
  reason,
  key = getAuditKey(),
}: {
  db: Db;
  now: Date;
  reason: 'schedule' | 'manual';
  key?: Buffer;
}): Promise<AuditAnchorInfo & { headHash: string }> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`;
      const last = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true, chainVersion: true } });
      // A log still ending in unkeyed rows is sealed now rather than at its next append.
      if (last?.chainVersion === LEGACY_CHAIN_VERSION && !(await tx.auditAnchor.findFirst({ where: { reason: 'legacy_seal', headSeq: { gte: last.seq } }, select: { id: true } }))) {
        await writeAnchor(tx, key, { headSeq: last.seq, headHash: last.hash, reason: 'legacy_seal', now });
      }
      const anchor = await writeAnchor(tx, key, { headSeq: last?.seq ?? 0n, headHash: last?.hash ?? GENESIS_HASH, reason, now });
      const headHash = Buffer.from(last?.hash ?? GENESIS_HASH).toString('hex');
      // The host keeps its own copy: someone who can rewrite our database cannot rewrite theirs.
      await enqueueWebhook(tx, {
        event: 'audit.anchor',
        payload: { anchorId: anchor.id.toString(), headSeq: anchor.headSeq.toString(), headHash, anchoredAt: now.toISOString(), reason },
        now,
      });
      return { ...anchor, headHash };
    },
    { maxWait: 10_000, timeout: 15_000 },
  );
}

/** The newest anchor, for the console. */
export async function lastAuditAnchor(db: Pick<Db, 'auditAnchor'>): Promise<AuditAnchorInfo | null> {
  return db.auditAnchor.findFirst({
    where: { reason: { not: 'legacy_seal' } },
    orderBy: { id: 'desc' },
    select: { id: true, headSeq: true, anchoredAt: true, reason: true },
  });
}

async function writeAnchor(
  tx: Prisma.TransactionClient,
  key: Buffer,
  { headSeq, headHash, reason, now }: { headSeq: bigint; headHash: Uint8Array; reason: string; now: Date },
): Promise<AuditAnchorInfo> {
  const hash = new Uint8Array(headHash);
  return tx.auditAnchor.create({
    data: { headSeq, headHash: hash, reason, anchoredAt: now, mac: anchorMac(key, { headSeq, headHash: hash, reason, anchoredAt: now }) },
    select: { id: true, headSeq: true, anchoredAt: true, reason: true },
  });
}

function anchorMac(key: Buffer, a: { headSeq: bigint; headHash: Uint8Array; reason: string; anchoredAt: Date }): Uint8Array<ArrayBuffer> {
  const body = canonicalJson({ kind: 'audit.anchor', v: 1, headSeq: a.headSeq.toString(), headHash: Buffer.from(a.headHash).toString('hex'), reason: a.reason, anchoredAt: a.anchoredAt });
  return new Uint8Array(createHmac('sha256', key).update(body, 'utf8').digest());
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

/** Rows written before AUDIT_KEY: plain SHA-256, verified only up to the legacy seal. */
export const LEGACY_CHAIN_VERSION = 1;
/** HMAC-SHA-256 with AUDIT_KEY: every row written since. */
export const KEYED_CHAIN_VERSION = 2;

/**
 * With a key: HMAC-SHA-256(key, prevHash || canonical JSON), chain version 2. Without: the legacy
 * SHA-256 of version 1, kept only to verify old rows. The version is inside the hashed body too, so
 * one encoding can never be read as the other.
 */
export function chainHash(prevHash: Uint8Array, fields: ChainedFields, key?: Buffer): Uint8Array<ArrayBuffer> {
  const body = canonicalJson({
    v: key ? KEYED_CHAIN_VERSION : LEGACY_CHAIN_VERSION,
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
  const digest = (key ? createHmac('sha256', key) : createHash('sha256')).update(prevHash).update(body, 'utf8').digest();
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
    super(`audit data must not hold secrets: key "${key}" is refused (docs/security.md rule 20)`);
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
