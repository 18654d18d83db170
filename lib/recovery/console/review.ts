import { recordAudit } from '@/lib/audit';
import { hasAuthenticator } from '@/lib/authenticator';
import type { Db } from '@/lib/db/client';
import type { DocumentKind, MessageKind, RiskLevel, TicketStatus, TicketType } from '@/lib/db/generated/enums';
import { getActiveHold } from '@/lib/holds';
import { listPasskeys } from '@/lib/passkeys';
import { assessTicketRisk, type RiskSignal, STATUS_EXPLANATIONS } from '@/lib/recovery/tickets';
import { describeUserAgent } from '@/lib/http/describe';
import { recentSignInActivity } from '@/lib/sessions/activity';
import { maskEmail, maskPhone } from '@/lib/verification/identifiers';
import { type ActingAgent, awaitingSecondApproval, type ConsoleAgentRef, mayAccess, requireActingAgent, type TicketNeed } from '@/lib/access';
import { authorizeTicket } from './access';

/**
 * What an agent sees on a ticket: the request, the account's security summary
 * and risk signals, the documents' metadata (the files open one at a time through
 * openDocumentForAgent), history with internal notes, and appointments.
 *
 * Agents never see codes, secrets or full contact details (rule 12): contacts are masked, factors
 * are reported as "set up" and by name, and nothing with a hash, key or ciphertext is selected.
 */

/** How far back "recent" account activity reaches on the ticket page. */
export const ACTIVITY_WINDOW_DAYS = 30;
/** Failed sign-ins are counted over this shorter window: a burst is what matters. */
export const FAILED_ATTEMPTS_WINDOW_DAYS = 7;

export type ActivitySignal = {
  kind: 'new_device' | 'failed_sign_ins' | 'failed_reset_attempts' | 'several_countries' | 'active_hold';
  detail: string;
  at?: string | undefined;
};

export type TicketReview = {
  id: string;
  reference: string;
  type: TicketType;
  status: TicketStatus;
  statusLabel: string;
  lostFactors: string[];
  contactEmail: string;
  /** The person's time zone as their browser reported it, for booking a call at a sensible hour. */
  timeZone: string | null;
  createdAt: Date;
  slaDueAt: Date;
  /** When the SLA clock stopped to wait for the person; null while it runs. */
  slaPausedAt: Date | null;
  closedAt: Date | null;
  decisionReason: string | null;
  riskLevel: RiskLevel;
  /** Why the ticket got its risk level when it was opened. */
  riskSignals: RiskSignal[];
  assignee: { id: string; name: string } | null;
  approval: {
    /** High risk: an approval needs a second person (rule 12). */
    fourEyes: boolean;
    state: 'not_approved' | 'waiting_for_second_approver' | 'approved';
    approvedBy: { id: string; name: string } | null;
    confirmedBy: { id: string; name: string } | null;
    approvedByYou: boolean;
  };
  account: AccountSummary | null;
  history: { id: string; kind: MessageKind; body: string; at: Date; author: string | null }[];
  documents: {
    id: string;
    kind: DocumentKind;
    mimeType: string;
    width: number | null;
    height: number | null;
    byteSize: number;
    uploadedAt: Date;
    deleted: boolean;
    checksOk: boolean | null;
    problems: string[];
    /** Set when the image is one rendered page of an uploaded PDF (rule 29). */
    pdfPage: { page: number; pages: number } | null;
  }[];
  /**
   * The local face match of the newest selfie, if one ran (lib/recovery/documents/face-match.ts): an
   * aid for the agent's own comparison, never a decision. Null when no selfie was matched.
   */
  faceMatch: FaceMatchView | null;
  appointments: {
    id: string;
    startsAt: Date;
    endsAt: Date;
    agentName: string;
    cancelledAt: Date | null;
    /** Why it was cancelled: rebooked, cancelled_by_you (the person), another_time, request_decided. */
    cancelReason: string | null;
    joinedAt: Date | null;
    /** The room link, for whoever works the ticket and only while the call is ahead. */
    meetingUrl: string | null;
  }[];
  /** Whether a video call can be booked (joining needs the person's authenticator app). */
  videoCall: { possible: true } | { possible: false; reason: string };
  /** What this agent may do here: the same rule as authorizeTicket. */
  can: Record<TicketNeed, boolean>;
  viewer: { id: string; role: ActingAgent['role'] };
};

export type AccountSummary = {
  displayName: string;
  email: string;
  emailVerified: boolean;
  phone: string | null;
  phoneVerified: boolean;
  highValue: boolean;
  createdAt: Date;
  authenticator: boolean;
  passkeys: { name: string; kind: string; createdAt: Date; lastUsedAt: Date | null }[];
  hold: { endsAt: Date; scope: string[] } | null;
  /** The risk assessment as of now (it can differ from the one taken when the ticket was opened). */
  riskNow: { level: RiskLevel; signals: RiskSignal[] };
  activity: ActivitySignal[];
  recentSignIns: { at: Date; succeeded: boolean; where: string; device: string; method: string }[];
};

/**
 * The ticket page's data, for an agent allowed to view it. Opening the page is recorded (rule 20:
 * who looked at whose recovery, and when); pass `recordView: false` for reloads that are not a
 * person opening the page (router prefetches).
 */
export async function getTicketForAgent(options: {
  db: Db;
  agent: ConsoleAgentRef;
  ticketId: string;
  now: Date;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  recordView?: boolean | undefined;
}): Promise<TicketReview> {
  const { db, now } = options;
  const { agent, ticket: facts } = await authorizeTicket({ ...options, need: 'view' });

  const ticket = await db.recoveryTicket.findUniqueOrThrow({
    where: { id: facts.id },
    select: {
      id: true,
      reference: true,
      type: true,
      status: true,
      userId: true,
      lostFactors: true,
      contactEmail: true,
      timeZone: true,
      createdAt: true,
      slaDueAt: true,
      slaPausedAt: true,
      closedAt: true,
      decisionReason: true,
      riskLevel: true,
      riskSignals: true,
      assigneeId: true,
      approvedById: true,
      confirmedById: true,
      assignee: { select: { id: true, name: true } },
      approvedBy: { select: { id: true, name: true } },
      confirmedBy: { select: { id: true, name: true } },
      messages: {
        select: { id: true, kind: true, body: true, createdAt: true, agent: { select: { name: true } } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      },
      documents: {
        select: { id: true, kind: true, mimeType: true, width: true, height: true, byteSize: true, createdAt: true, deletedAt: true, checkResult: true },
        orderBy: { createdAt: 'asc' },
      },
      appointments: {
        select: { id: true, startsAt: true, endsAt: true, cancelledAt: true, cancelReason: true, joinedAt: true, meetingUrl: true, agent: { select: { name: true } } },
        orderBy: { startsAt: 'desc' },
        take: 10,
      },
    },
  });

  const can = Object.fromEntries(
    (['view', 'work', 'documents', 'claim', 'assign', 'confirm'] as const).map((need) => [need, mayAccess(agent, ticket, need)]),
  ) as Record<TicketNeed, boolean>;
  const account = ticket.userId ? await accountSummary(db, ticket.userId, now) : null;
  const fourEyes = ticket.riskLevel === 'HIGH';

  if (options.recordView !== false) {
    await recordAudit(db, {
      actorType: 'AGENT',
      actorId: agent.id,
      action: 'ticket.viewed',
      subjectType: 'ticket',
      subjectId: ticket.id,
      ip: options.ip,
      userAgent: options.userAgent?.slice(0, 300),
      data: { status: ticket.status },
      occurredAt: now,
    });
  }

  return {
    id: ticket.id,
    reference: ticket.reference,
    type: ticket.type,
    status: ticket.status,
    statusLabel: STATUS_EXPLANATIONS[ticket.status].label,
    lostFactors: ticket.lostFactors,
    contactEmail: maskEmail(ticket.contactEmail),
    timeZone: ticket.timeZone,
    createdAt: ticket.createdAt,
    slaDueAt: ticket.slaDueAt,
    slaPausedAt: ticket.slaPausedAt,
    closedAt: ticket.closedAt,
    decisionReason: ticket.decisionReason,
    riskLevel: ticket.riskLevel,
    riskSignals: riskSignalsOf(ticket.riskSignals),
    assignee: ticket.assignee,
    approval: {
      fourEyes,
      state:
        ticket.status === 'APPROVED' || ticket.status === 'COMPLETED'
          ? 'approved'
          : awaitingSecondApproval(ticket)
            ? 'waiting_for_second_approver'
            : 'not_approved',
      approvedBy: ticket.approvedBy,
      confirmedBy: ticket.confirmedBy,
      approvedByYou: ticket.approvedById === agent.id,
    },
    account,
    history: ticket.messages.map((m) => ({ id: m.id, kind: m.kind, body: m.body, at: m.createdAt, author: m.agent?.name ?? null })),
    documents: ticket.documents.map((d) => ({
      id: d.id,
      kind: d.kind,
      mimeType: d.mimeType,
      width: d.width,
      height: d.height,
      byteSize: d.byteSize,
      uploadedAt: d.createdAt,
      deleted: d.deletedAt !== null,
      ...checkSummary(d.checkResult),
    })),
    faceMatch: faceMatchView(ticket.documents),
    appointments: ticket.appointments.map((a) => ({
      id: a.id,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      agentName: a.agent.name,
      cancelledAt: a.cancelledAt,
      cancelReason: a.cancelReason,
      joinedAt: a.joinedAt,
      meetingUrl: can.work && !a.cancelledAt && a.endsAt > now ? a.meetingUrl : null,
    })),
    videoCall: !ticket.userId
      ? { possible: false, reason: 'This request does not belong to an account, so there is nobody to call.' }
      : ticket.lostFactors.includes('authenticator') || !account?.authenticator
        ? { possible: false, reason: 'Joining a call needs an authenticator code, and this person cannot use an authenticator app. Review the documents without a call.' }
        : { possible: true },
    can,
    viewer: { id: agent.id, role: agent.role },
  };
}

/** Active agents a supervisor can assign to. */
export async function listAssignableAgents(options: { db: Db; agent: ConsoleAgentRef }): Promise<{ id: string; name: string; role: ActingAgent['role'] }[]> {
  const agent = await requireActingAgent(options.db, options.agent);
  if (agent.role === 'AGENT') return [];
  return options.db.agent.findMany({ where: { active: true }, select: { id: true, name: true, role: true }, orderBy: { name: 'asc' } });
}

async function accountSummary(db: Db, userId: string, now: Date): Promise<AccountSummary | null> {
  const since = new Date(now.getTime() - ACTIVITY_WINDOW_DAYS * 86_400_000);
  const failedSince = new Date(now.getTime() - FAILED_ATTEMPTS_WINDOW_DAYS * 86_400_000);
  // No capability owns the account row's contact fields as a query yet (lib/sessions/overview reads
  // them the same way); devices and sign-ins come from lib/sessions. Every select is an allow-list
  // without hashes or secrets.
  const [user, authenticator, passkeys, hold, riskNow, { newDevices: devices, signIns, failedSignIns }, failedResets] = await Promise.all([
    db.user.findUnique({
      where: { id: userId },
      select: { displayName: true, email: true, emailVerifiedAt: true, phone: true, phoneVerifiedAt: true, highValue: true, createdAt: true },
    }),
    hasAuthenticator({ db, owner: { userId } }),
    listPasskeys({ db, owner: { userId } }),
    getActiveHold({ db, userId, now }),
    assessTicketRisk(db, userId, now),
    recentSignInActivity(db, { userId, since, failedSince, now }),
    db.recoveryReset.aggregate({ where: { userId, createdAt: { gte: failedSince, lte: now } }, _sum: { attempts: true } }),
  ]);
  if (!user) return null;

  const activity: ActivitySignal[] = [];
  for (const d of devices) activity.push({ kind: 'new_device', detail: `${d.name}${d.location ? ` (${d.location})` : ''} first seen`, at: d.firstSeenAt.toISOString() });
  if (failedSignIns > 0) activity.push({ kind: 'failed_sign_ins', detail: `${failedSignIns} failed or blocked sign-in${failedSignIns === 1 ? '' : 's'} in the last ${FAILED_ATTEMPTS_WINDOW_DAYS} days` });
  const resetFailures = failedResets._sum.attempts ?? 0;
  if (resetFailures > 0) activity.push({ kind: 'failed_reset_attempts', detail: `${resetFailures} failed second-proof attempt${resetFailures === 1 ? '' : 's'} during self-service resets in the last ${FAILED_ATTEMPTS_WINDOW_DAYS} days` });
  const countries = [...new Set(signIns.filter((s) => s.result === 'SUCCESS').map((s) => countryOf(s.location)).filter((c): c is string => c !== null))];
  if (countries.length > 1) activity.push({ kind: 'several_countries', detail: `Signed in from ${countries.length} countries in the last ${ACTIVITY_WINDOW_DAYS} days: ${countries.join(', ')}` });
  if (hold) activity.push({ kind: 'active_hold', detail: `Security hold on ${hold.scope.join(' and ').replace(/_/g, ' ')} (${hold.reasons.join(', ').replace(/_/g, ' ')})`, at: hold.endsAt.toISOString() });

  return {
    displayName: user.displayName,
    email: maskEmail(user.email),
    emailVerified: user.emailVerifiedAt !== null,
    phone: user.phone ? maskPhone(user.phone) : null,
    phoneVerified: user.phoneVerifiedAt !== null,
    highValue: user.highValue,
    createdAt: user.createdAt,
    authenticator,
    passkeys: passkeys.map((p) => ({ name: p.name, kind: p.kind, createdAt: p.createdAt, lastUsedAt: p.lastUsedAt })),
    hold: hold ? { endsAt: hold.endsAt, scope: hold.scope } : null,
    riskNow,
    activity,
    recentSignIns: signIns.slice(0, 8).map((s) => ({
      at: s.createdAt,
      succeeded: s.result === 'SUCCESS',
      where: s.location ?? 'Unknown location',
      device: describeUserAgent(s.userAgent),
      method: s.method,
    })),
  };
}

/** "Lagos, NG" → "NG": sign-in locations end with an ISO country code when one is known. */
function countryOf(location: string | null): string | null {
  const last = location?.split(',').at(-1)?.trim();
  return last && /^[A-Z]{2}$/.test(last) ? last : null;
}

function riskSignalsOf(value: unknown): RiskSignal[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    if (!item || typeof item !== 'object') return [];
    const { signal, detail, at } = item as Record<string, unknown>;
    if (typeof signal !== 'string' || typeof detail !== 'string') return [];
    return [{ signal: signal as RiskSignal['signal'], detail, ...(typeof at === 'string' ? { at } : {}) }];
  });
}

export type FaceMatchView = {
  selfieId: string;
  documentFrontId: string;
  result: 'similar' | 'not_similar' | 'unavailable';
  /** Euclidean distance between the two face descriptors; lower is more alike. */
  distance: number | null;
  threshold: number | null;
  modelVersion: string;
  checkedAt: Date;
  /** Both images are still kept, so the faces can be cut out of them for the agent. */
  imagesKept: boolean;
};

/** From the stored check result of the newest selfie: outcome, distance, threshold, model version. */
function faceMatchView(documents: { id: string; kind: DocumentKind; createdAt: Date; deletedAt: Date | null; checkResult: unknown }[]): FaceMatchView | null {
  const selfie = documents.filter((d) => d.kind === 'SELFIE').at(-1);
  const stored = selfie?.checkResult && typeof selfie.checkResult === 'object' ? (selfie.checkResult as { faceMatch?: Record<string, unknown> }).faceMatch : undefined;
  if (!selfie || !stored || typeof stored !== 'object') return null;
  const { result, distance, threshold, modelVersion, documentFrontId } = stored;
  if ((result !== 'similar' && result !== 'not_similar' && result !== 'unavailable') || typeof documentFrontId !== 'string') return null;
  const front = documents.find((d) => d.id === documentFrontId);
  return {
    selfieId: selfie.id,
    documentFrontId,
    result,
    distance: typeof distance === 'number' ? distance : null,
    threshold: typeof threshold === 'number' ? threshold : null,
    modelVersion: typeof modelVersion === 'string' ? modelVersion : 'unknown',
    checkedAt: selfie.createdAt,
    imagesKept: selfie.deletedAt === null && Boolean(front) && front!.deletedAt === null,
  };
}

function checkSummary(value: unknown): { checksOk: boolean | null; problems: string[]; pdfPage: { page: number; pages: number } | null } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { checksOk: null, problems: [], pdfPage: null };
  const { ok, problems, source } = value as { ok?: unknown; problems?: unknown; source?: { page?: unknown; pages?: unknown } };
  const pdfPage = source && typeof source.page === 'number' && typeof source.pages === 'number' ? { page: source.page, pages: source.pages } : null;
  const texts = Array.isArray(problems)
    ? problems.flatMap((p) => (typeof p === 'string' ? [p] : p && typeof p === 'object' && typeof (p as { message?: unknown }).message === 'string' ? [(p as { message: string }).message] : []))
    : [];
  return { checksOk: typeof ok === 'boolean' ? ok : null, problems: texts.slice(0, 20), pdfPage };
}
