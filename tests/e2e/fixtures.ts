import { randomBytes, randomUUID } from 'node:crypto';
import { createPrisma } from '@/lib/db/client';
import type { RiskLevel, TicketStatus, TicketType } from '@/lib/db/generated/enums';
import { inspectUpload, storeDocument } from '@/lib/recovery/documents';
import { replaceRecoveryCodes } from '@/lib/recovery-codes';
import { generateReference, issueResetToken, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import { jpeg } from '../support/images';
import { E2E } from './support';

// What the journeys stand on, written straight to the browser-test database: tickets in a given
// state, a video appointment, a month of help-center activity.

const masterKey = Buffer.from(E2E.encryptionKey, 'base64');

const LOST_FACTORS: Record<TicketType, string[]> = {
  PASSKEY_RESET: ['passkey'],
  AUTHENTICATOR_RESET: ['authenticator'],
  PHONE_CHANGE: ['phone'],
  EMAIL_CHANGE: ['email'],
  FULL_RECOVERY: ['passkey', 'authenticator'],
};

/** A recovery ticket in the state a test needs, optionally with one stored, encrypted ID photo. */
export async function recoveryTicket(
  options: {
    userId?: string | null;
    contactEmail?: string;
    type?: TicketType;
    status?: TicketStatus;
    assigneeId?: string | null;
    riskLevel?: RiskLevel;
    approvedById?: string | null;
    riskSignals?: { signal: string; detail: string }[];
    document?: boolean;
  } = {},
) {
  const db = createPrisma(E2E.databaseUrl);
  const now = new Date();
  const ticket = await db.recoveryTicket.create({
    data: {
      reference: generateReference(),
      userId: options.userId ?? null,
      type: options.type ?? 'AUTHENTICATOR_RESET',
      status: options.status ?? (options.assigneeId ? 'IN_REVIEW' : 'SUBMITTED'),
      assigneeId: options.assigneeId ?? null,
      approvedById: options.approvedById ?? null,
      contactEmail: options.contactEmail ?? `ticket-${randomBytes(4).toString('hex')}@example.com`,
      lostFactors: LOST_FACTORS[options.type ?? 'AUTHENTICATOR_RESET'],
      riskLevel: options.riskLevel ?? 'LOW',
      ...(options.riskSignals ? { riskSignals: options.riskSignals } : {}),
      slaDueAt: new Date(now.getTime() + TICKET_SLA_HOURS * 3_600_000),
      createdAt: now,
    },
    select: { id: true, reference: true, contactEmail: true },
  });
  let documentId: string | undefined;
  if (options.document) {
    const inspection = await inspectUpload({ bytes: await jpeg(1200, 800), kind: 'ID_FRONT' });
    if (!inspection.ok) throw new Error(inspection.message);
    documentId = (await storeDocument({ db, masterKey, ticketId: ticket.id, kind: 'ID_FRONT', image: inspection.image, checkResult: inspection.checkResult, now })).id;
  }
  await db.$disconnect();
  return { ...ticket, documentId };
}

/** A high-risk ticket (the account is flagged high value) with one stored, encrypted ID photo. */
export async function highRiskTicket(account: { id: string; email: string }, assigneeId: string | null = null) {
  const db = createPrisma(E2E.databaseUrl);
  await db.user.update({ where: { id: account.id }, data: { highValue: true } });
  await db.$disconnect();
  const ticket = await recoveryTicket({
    userId: account.id,
    contactEmail: account.email,
    assigneeId,
    riskLevel: 'HIGH',
    riskSignals: [{ signal: 'high_value_account', detail: 'flagged high value by the platform' }],
    document: true,
  });
  return { id: ticket.id, reference: ticket.reference, documentId: ticket.documentId! };
}

/** A few of the agent's own tickets in different states, so the queue looks like a working day. */
export async function workingDay(agentId: string) {
  const db = createPrisma(E2E.databaseUrl);
  const hour = 3_600_000;
  const now = Date.now();
  const rows = [
    { type: 'PASSKEY_RESET', status: 'IN_REVIEW', riskLevel: 'LOW', dueIn: -3 * hour },
    { type: 'FULL_RECOVERY', status: 'IN_REVIEW', riskLevel: 'HIGH', dueIn: 2 * hour },
    { type: 'PHONE_CHANGE', status: 'MORE_INFO_REQUESTED', riskLevel: 'LOW', dueIn: 19 * hour },
    { type: 'EMAIL_CHANGE', status: 'IN_REVIEW', riskLevel: 'LOW', dueIn: 30 * hour },
  ] as const;
  for (const [i, r] of rows.entries()) {
    await db.recoveryTicket.create({
      data: {
        reference: generateReference(),
        type: r.type,
        status: r.status,
        riskLevel: r.riskLevel,
        contactEmail: `queue-${i}-${randomBytes(3).toString('hex')}@example.com`,
        lostFactors: ['passkey'],
        assigneeId: agentId,
        slaDueAt: new Date(now + r.dueIn),
        createdAt: new Date(now + r.dueIn - TICKET_SLA_HOURS * hour),
      },
    });
  }
  await db.$disconnect();
}

/** A ticket in review with a video call that started a minute ago and runs for half an hour. */
export async function videoAppointment(account: { id: string; email: string }, window: { startsAt: Date; endsAt: Date } = { startsAt: new Date(Date.now() - 60_000), endsAt: new Date(Date.now() + 30 * 60_000) }) {
  const reference = generateReference();
  const meetingUrl = `https://meet.jit.si/regain-test-room-${randomBytes(4).toString('hex')}`;
  const db = createPrisma(E2E.databaseUrl);
  try {
    const agent = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Test Agent' } });
    const ticket = await db.recoveryTicket.create({
      data: {
        reference,
        userId: account.id,
        type: 'PASSKEY_RESET',
        status: 'IN_REVIEW',
        contactEmail: account.email,
        lostFactors: ['passkey'],
        slaDueAt: new Date(Date.now() + 48 * 3600_000),
      },
    });
    await db.videoAppointment.create({
      data: { ticketId: ticket.id, agentId: agent.id, startsAt: window.startsAt, endsAt: window.endsAt, meetingUrl },
    });
  } finally {
    await db.$disconnect();
  }
  return { reference, meetingUrl };
}

/**
 * An approved ticket and the path of its /recover/complete link (what the approval
 * mail carries), without going through the console.
 */
export async function approvedTicketLink(
  account: { id: string; email: string },
  lostFactor: 'authenticator' | 'passkey' | 'phone' | 'email' = 'authenticator',
  contactEmail: string = account.email,
) {
  const type = ({ authenticator: 'AUTHENTICATOR_RESET', passkey: 'PASSKEY_RESET', phone: 'PHONE_CHANGE', email: 'EMAIL_CHANGE' } as const)[lostFactor];
  const db = createPrisma(E2E.databaseUrl);
  try {
    const now = new Date();
    const ticket = await db.recoveryTicket.create({
      data: {
        reference: generateReference(),
        userId: account.id,
        type,
        status: 'APPROVED',
        contactEmail,
        lostFactors: [lostFactor],
        slaDueAt: new Date(now.getTime() + TICKET_SLA_HOURS * 3_600_000),
        createdAt: now,
      },
      select: { id: true },
    });
    const { token } = await issueResetToken({ tx: db, hmacKey: Buffer.from(E2E.hmacKey, 'base64'), ticketId: ticket.id, now });
    return `/recover/complete#${token}`;
  } finally {
    await db.$disconnect();
  }
}

/**
 * A month of help-center activity, the shape lib/help/engagement.ts records: daily views with a
 * weekly rhythm, votes, and searches, some of which found nothing.
 */
export async function seedHelpActivity() {
  const db = createPrisma(E2E.databaseUrl);
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const slugs = ['rename-passkey', 'link-authenticator-app', 'what-is-a-passkey', 'can-not-sign-in-recovery-options'];
  const views = Array.from({ length: 30 }, (_, i) => {
    const day = new Date(today - (29 - i) * 86_400_000);
    const weekday = day.getUTCDay();
    const count = Math.round(18 + i * 0.6 + (weekday === 0 || weekday === 6 ? -7 : 4) + 5 * Math.sin(i / 2.3));
    return Array.from({ length: count }, (_, j) => ({ slug: slugs[j % slugs.length]!, visitorHash: randomBytes(16).toString('base64url'), day }));
  }).flat();
  await db.articleView.createMany({ data: views, skipDuplicates: true });

  const votes = (slug: string, yes: number, no: number) =>
    Array.from({ length: yes + no }, (_, i) => ({ slug, visitorHash: randomBytes(16).toString('base64url'), helpful: i < yes, comment: null }));
  await db.articleVote.createMany({ data: [...votes('rename-passkey', 2, 6), ...votes('link-authenticator-app', 5, 3), ...votes('what-is-a-passkey', 9, 1)] });

  const searches: { query: string; hits: number; times: number }[] = [
    { query: 'reset authenticator', hits: 6, times: 14 },
    { query: 'passkey', hits: 18, times: 11 },
    { query: 'withdrawal hold', hits: 3, times: 7 },
    { query: 'change phone number without old sim', hits: 0, times: 5 },
    { query: 'ledger nano', hits: 0, times: 3 },
  ];
  await db.searchQuery.createMany({
    data: searches.flatMap((s) =>
      Array.from({ length: s.times }, (_, i) => ({ query: s.query, hits: s.hits, engine: 'embedded', createdAt: new Date(Date.now() - i * 7_200_000) })),
    ),
  });
  await db.$disconnect();
}

/**
 * A request waiting on the account's signed-in devices, as a reset that holds one verified code
 * opens it (lib/sessions/approvals). The number is the one the requesting screen would show.
 */
export async function pendingApproval(userId: string, options: { number?: number; change?: 'passkey' | 'authenticator' | 'phone' | 'email' } = {}) {
  const db = createPrisma(E2E.databaseUrl);
  try {
    return await db.verificationChallenge.create({
      data: {
        purpose: 'RESET_APPROVAL',
        userId,
        channel: 'TRUSTED_DEVICE',
        subjectType: 'RESET',
        subjectId: randomUUID(),
        approvalNumber: options.number ?? 42,
        approvalChange: options.change ?? 'passkey',
        requestIp: '198.51.100.7',
        requestUserAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/142.0',
        expiresAt: new Date(Date.now() + 5 * 60_000),
      },
      select: { id: true, approvalNumber: true },
    });
  } finally {
    await db.$disconnect();
  }
}

/** A fresh set of recovery codes for the account, as Account › Security makes them (shown once). */
export async function recoveryCodesFor(userId: string): Promise<string[]> {
  const db = createPrisma(E2E.databaseUrl);
  try {
    return (await replaceRecoveryCodes(db, { hmacKey: Buffer.from(E2E.hmacKey, 'base64'), userId, now: new Date() })).codes;
  } finally {
    await db.$disconnect();
  }
}
