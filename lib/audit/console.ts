import { z } from 'zod';
import type { Db } from '@/lib/db/client';
import type { ActorType } from '@/lib/db/generated/client';
import type { FieldErrors } from '@/lib/errors';
import { requireAgentRole } from '@/lib/access';
import { type AuditAnchorInfo, type AuditBreakReason, type AuditChainReport, type AuditFilters, anchorAuditHead, recordAudit, searchAudit, verifyAuditChain } from './index';
import { isUuid } from '@/lib/db/ids';

/**
 * The console's audit log (docs/product.md D): search and chain verification for supervisors and admins.
 * Reading the log is itself recorded (docs/security.md rule 20): whoever looks at who did what leaves a
 * trace of their own.
 */

/** Who may read the log: lib/access, ROLE_AREAS.auditLog. */

/** The agent behind a console request; undefined when nobody is signed in. */
export type ConsoleActor = { agentId: string; ip: string | null; userAgent: string | null };

export const AUDIT_LOG_PAGE_SIZE = 50;

export type AuditLogRow = {
  seq: string;
  occurredAt: Date;
  actorType: ActorType;
  actorId: string | null;
  /** An agent's name, when the actor is an agent. */
  actorName: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  /** The network, not the address: enough to spot a country or provider change. */
  ipShort: string | null;
  userAgent: string | null;
  summary: string;
  /** The whole `data` object as compact JSON (capped), for a tooltip or a closer look. */
  dataJson: string;
};

export type AuditSearchForm = { subject: string; actor: string; action: string; from: string; to: string };

export type AuditSearchResult =
  | { ok: true; form: AuditSearchForm; rows: AuditLogRow[]; nextCursor: string | null; firstPage: boolean }
  | { ok: false; form: AuditSearchForm; fieldErrors: FieldErrors };

type SearchParams = Record<string, string | string[] | undefined>;

/**
 * Searches the log (newest first, `AUDIT_LOG_PAGE_SIZE` a page) and records `audit.searched`.
 * Invalid input is returned as field errors and searches nothing. Throws `unauthorized` without an
 * active agent and `forbidden` for a role other than supervisor or admin.
 */
export async function searchAuditLog({
  db,
  actor,
  params,
  now,
}: {
  db: Db;
  actor: ConsoleActor | undefined;
  params: SearchParams;
  now: Date;
}): Promise<AuditSearchResult> {
  const agent = await requireAgentRole(db, actor, 'auditLog', 'search the audit log');
  const form = formValues(params);
  const parsed = searchInput.safeParse(form);
  const cursorText = single(params.before);
  const cursor = cursorText && /^\d{1,19}$/.test(cursorText) ? BigInt(cursorText) : undefined;
  if (!parsed.success) return { ok: false, form, fieldErrors: fieldErrorsOf(parsed.error) };

  const filters = parsed.data;
  const page = await searchAudit({ db, filters, cursor, limit: AUDIT_LOG_PAGE_SIZE });
  // Recorded after the search (so it is not its own first result) but before anything is shown:
  // if the record cannot be written, the caller gets an error instead of the events.
  await recordAudit(db, {
    actorType: 'AGENT',
    actorId: agent.id,
    action: 'audit.searched',
    subjectType: 'audit_log',
    ip: actor!.ip,
    userAgent: actor!.userAgent,
    data: {
      filters: {
        subjectId: filters.subjectId ?? null,
        actorId: filters.actorId ?? null,
        action: filters.action ?? null,
        from: filters.from?.toISOString() ?? null,
        to: filters.to?.toISOString() ?? null,
      },
      olderThanSeq: cursor?.toString() ?? null,
      results: page.events.length,
    },
    occurredAt: now,
  });

  const names = await agentNames(
    db,
    page.events.filter((e) => e.actorType === 'AGENT' && e.actorId).map((e) => e.actorId!),
  );
  return {
    ok: true,
    form,
    firstPage: cursor === undefined,
    nextCursor: page.nextCursor?.toString() ?? null,
    rows: page.events.map((e) => ({
      seq: e.seq.toString(),
      occurredAt: e.occurredAt,
      actorType: e.actorType,
      actorId: e.actorId,
      actorName: e.actorId ? (names.get(e.actorId) ?? null) : null,
      action: e.action,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      ipShort: shortenIp(e.ip),
      userAgent: e.userAgent,
      summary: summarizeData(e.data),
      dataJson: capped(JSON.stringify(e.data ?? {}), 2_000),
    })),
  };
}

/** An anchor as the console shows it (strings: it crosses to the browser). */
export type AnchorView = { id: string; headSeq: string; anchoredAt: string; reason: string };

export type ChainVerification =
  | { ok: true; checked: number; verifiedAt: string; lastAnchor: AnchorView | null }
  | { ok: false; checked: number; firstBrokenSeq: string; reason: AuditBreakReason; verifiedAt: string; anchor: AnchorView | null; explanation: string };

/**
 * Recomputes the whole hash chain against its anchors and records `audit.verified` with the
 * outcome, so a broken chain seen by someone is on record even if they say nothing. Same roles as
 * searching.
 */
export async function verifyAuditLogChain({
  db,
  actor,
  now,
  batchSize,
}: {
  db: Db;
  actor: ConsoleActor | undefined;
  now: Date;
  batchSize?: number;
}): Promise<ChainVerification> {
  const agent = await requireAgentRole(db, actor, 'auditLog', 'verify the audit chain');
  const report: AuditChainReport = await verifyAuditChain({ db, ...(batchSize !== undefined ? { batchSize } : {}) });
  await recordAudit(db, {
    actorType: 'AGENT',
    actorId: agent.id,
    action: 'audit.verified',
    subjectType: 'audit_log',
    ip: actor!.ip,
    userAgent: actor!.userAgent,
    data: report.ok
      ? { intact: true, checked: report.checked, lastAnchorId: report.lastAnchor?.id.toString() ?? null }
      : { intact: false, checked: report.checked, firstBrokenSeq: report.firstBrokenSeq.toString(), reason: report.reason, anchorId: report.anchor?.id.toString() ?? null },
    occurredAt: now,
  });
  const verifiedAt = now.toISOString();
  return report.ok
    ? { ok: true, checked: report.checked, verifiedAt, lastAnchor: anchorView(report.lastAnchor) }
    : {
        ok: false,
        checked: report.checked,
        firstBrokenSeq: report.firstBrokenSeq.toString(),
        reason: report.reason,
        verifiedAt,
        anchor: anchorView(report.anchor),
        explanation: explainBreak(report),
      };
}

/**
 * Anchors the head now (the on-demand twin of the hourly anchor): records `audit.anchored` first,
 * so the anchor covers the request for it, then pins the head and sends the `audit.anchor` webhook.
 */
export async function anchorAuditLog({ db, actor, now }: { db: Db; actor: ConsoleActor | undefined; now: Date }): Promise<AnchorView & { headHash: string }> {
  const agent = await requireAgentRole(db, actor, 'auditLog', 'anchor the audit chain');
  await recordAudit(db, { actorType: 'AGENT', actorId: agent.id, action: 'audit.anchored', subjectType: 'audit_log', ip: actor!.ip, userAgent: actor!.userAgent, occurredAt: now });
  const anchor = await anchorAuditHead({ db, now, reason: 'manual' });
  return { ...anchorView(anchor)!, headHash: anchor.headHash };
}

function anchorView(anchor: AuditAnchorInfo | null): AnchorView | null {
  return anchor && { id: anchor.id.toString(), headSeq: anchor.headSeq.toString(), anchoredAt: anchor.anchoredAt.toISOString(), reason: anchor.reason };
}

/** One sentence for a supervisor: what broke, measured against the last anchor that still holds. */
export function explainBreak(report: Extract<AuditChainReport, { ok: false }>): string {
  const seq = report.firstBrokenSeq.toString();
  const a = report.anchor;
  const at = a ? `anchor #${a.id} (${a.anchoredAt.toISOString()}, event #${a.headSeq})` : '';
  switch (report.reason) {
    case 'anchor_missing':
      return `The log ends before the head pinned by ${at}: its newest events were cut off.`;
    case 'anchor_mismatch':
      return `The head no longer matches ${at}: event #${seq} was altered or removed.`;
    case 'anchor_forged':
      return `${at} does not carry a valid MAC: someone without the audit key wrote it.`;
    default: {
      const what = report.reason === 'prev_mismatch' ? 'an event was deleted or inserted' : report.reason === 'unkeyed_row' ? 'an unkeyed event was written' : 'an event was altered';
      return a ? `Events after ${at} were altered: at #${seq} ${what}.` : `At #${seq} ${what} (no anchor precedes it).`;
    }
  }
}

/**
 * The event names in the log, for suggestions in the search form. A loose index scan over the
 * (action, occurredAt) index: one index probe per distinct name, not a scan of the whole table.
 */
export async function auditActionNames({ db, actor }: { db: Db; actor: ConsoleActor | undefined }): Promise<string[]> {
  await requireAgentRole(db, actor, 'auditLog', 'list audit event types');
  const rows = await db.$queryRaw<{ action: string }[]>`
    WITH RECURSIVE names AS (
      (SELECT action FROM "AuditEvent" ORDER BY action LIMIT 1)
      UNION ALL
      SELECT (SELECT e.action FROM "AuditEvent" e WHERE e.action > names.action ORDER BY e.action LIMIT 1)
      FROM names WHERE names.action IS NOT NULL
    )
    SELECT action FROM names WHERE action IS NOT NULL LIMIT 500`;
  return rows.map((r) => r.action);
}

// ── Input ────────────────────────────────────────────────────────────────────

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { message: `Keep it under ${max} characters.` })
    // Ids and event names are printable text; PostgreSQL cannot even compare a string holding NUL.
    .refine((v) => !/[\u0000-\u001f\u007f-\u009f]/.test(v), { message: 'Use letters, digits and punctuation only.' })
    .transform((v) => v || undefined);

/** A time typed in the form, read as UTC: "2026-03-01", "2026-03-01T09:30" or with seconds. */
const utcTime = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (!value) return undefined;
    const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?Z?$/.exec(value);
    const date = match ? new Date(`${match[1]}T${match[2] ?? '00:00'}${match[2]?.length === 5 ? ':00' : ''}Z`) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'Enter a date and time like 2026-03-01 09:30 (UTC).' });
      return z.NEVER;
    }
    return date;
  });

const searchInput = z
  .object({
    subject: optionalText(200),
    actor: optionalText(200),
    action: optionalText(100).refine((v) => v === undefined || /^[A-Za-z0-9_.:-]+$/.test(v), {
      message: 'Event types look like agent.sign_in: letters, digits, dots and underscores.',
    }),
    from: utcTime,
    to: utcTime,
  })
  .refine((v) => !v.from || !v.to || v.from < v.to, { path: ['to'], message: 'The end must be after the start.' })
  .transform((v): AuditFilters => ({ subjectId: v.subject, actorId: v.actor, action: v.action, from: v.from, to: v.to }));

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function formValues(params: SearchParams): AuditSearchForm {
  const text = (key: string) => (single(params[key]) ?? '').slice(0, 400);
  return { subject: text('subject'), actor: text('actor'), action: text('action'), from: text('from'), to: text('to') };
}

function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) (errors[issue.path.map(String).join('.') || '_'] ??= []).push(issue.message);
  return errors;
}

// ── Presentation helpers (pure, exported for tests) ──────────────────────────

/**
 * "203.0.113.x" for IPv4 (the /24), the first four groups for IPv6 (the /64). The full address
 * stays in the log for an investigation; the table shows what a person needs to compare rows.
 */
export function shortenIp(ip: string | null): string | null {
  if (!ip || ip === 'unknown') return null;
  const v4 = /^(?:::ffff:)?(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$/i.exec(ip);
  if (v4) return `${v4[1]}.x`;
  if (!ip.includes(':')) return capped(ip, 24);
  const head = ip.split('::')[0]!;
  if (!head) return capped(ip, 24); // ::1 and other addresses that start compressed
  return `${head.split(':').slice(0, 4).join(':')}:…`;
}

/**
 * `key: value` pairs of an event's data, short enough for a table cell. Nested objects are
 * flattened to dotted keys and empty (null) facts left out, so `{ filters: { action: "x",
 * actorId: null } }` reads "filters.action: x".
 */
export function summarizeData(data: unknown, max = 140): string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return '';
  const parts: string[] = [];
  const walk = (value: Record<string, unknown>, prefix: string) => {
    for (const [key, inner] of Object.entries(value)) {
      if (inner === null || inner === undefined) continue;
      if (typeof inner === 'object' && !Array.isArray(inner)) walk(inner as Record<string, unknown>, `${prefix}${key}.`);
      else parts.push(`${prefix}${key}: ${capped(typeof inner === 'string' ? inner : JSON.stringify(inner), 48)}`);
    }
  };
  walk(data as Record<string, unknown>, '');
  return capped(parts.join(', '), max);
}

function capped(text: string, max: number) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// ── Who may ──────────────────────────────────────────────────────────────────


/** Names of the agents who acted, for the table (names only: nothing else of the agent is needed). */
async function agentNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)].filter((id) => isUuid(id));
  if (unique.length === 0) return new Map();
  const rows = await db.agent.findMany({ where: { id: { in: unique } }, select: { id: true, name: true } });
  return new Map(rows.map((r) => [r.id, r.name]));
}
