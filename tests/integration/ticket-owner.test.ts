import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '@/lib/delivery/types';
import { checkHealth } from '@/lib/health';
import { runMaintenance } from '@/lib/maintenance';
import { listQueue } from '@/lib/recovery/console';
import { UNVERIFIED_TICKETS_PER_HOUR } from '@/lib/recovery/policy';
import { applyApprovedTicket } from '@/lib/recovery/ticket-reset';
import { cancelTicketByOwner, confirmTicketContact, generateReference, openDocumentTicket, requestStatusCode, transitionTicket } from '@/lib/recovery/tickets';
import { capturingDelivery, collectingScheduler } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';

// docs/security.md rule 27 (the owner hears of every document recovery and can cancel it; changes made
// on documents alone wait out a cancel window) and the documents form as a mail relay.
const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const APP_URL = 'https://help.example.com';
const HOUR = 3_600_000;
// A month ahead, so a fresh test user carries no "recent change" risk signal; each test takes its
// own day so the hourly budget of one never counts another's tickets.
let day = 30;
const freshStart = () => new Date(Math.floor(Date.now() / 60_000) * 60_000 + day++ * 86_400_000);
const CODE = '135790';
const email = () => `new-${randomBytes(4).toString('hex')}@example.net`;
const cancelLink = (m: OutgoingMessage) => /\/recover\/cancel#([A-Za-z0-9_-]{43})/.exec(m.text ?? '')?.[1];

function harness() {
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  return { capture, scheduler, deps: { db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule } };
}

async function supervisor() {
  const row = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Supervisor', role: 'SUPERVISOR' }, select: { id: true } });
  return { agentId: row.id };
}

/** Ben's case: a verified recovery code named the account, and the person gives a new address. */
async function openForBen(h: ReturnType<typeof harness>, now: Date) {
  const ben = await createUser(db);
  const contactEmail = email();
  const opened = await openDocumentTicket({ ...h.deps, userId: ben.id, contactEmail, type: 'EMAIL_CHANGE', lostFactors: ['email'], ip: nextIp(), now, newCode: () => CODE });
  await h.scheduler.flush();
  return { ben, contactEmail, ...opened };
}

async function confirm(h: ReturnType<typeof harness>, opened: { ticketId: string; code: { challengeId: string } }, now: Date) {
  const result = await confirmTicketContact({ ...h.deps, appUrl: APP_URL, ticketId: opened.ticketId, challengeId: opened.code.challengeId, code: CODE, ip: nextIp(), now });
  await h.scheduler.flush();
  return result;
}

async function approve(ticketId: string, agentId: string, now: Date) {
  await transitionTicket(db, { ticketId, to: 'IN_REVIEW', actor: { kind: 'agent', agentId }, now });
  await transitionTicket(db, { ticketId, to: 'APPROVED', actor: { kind: 'agent', agentId }, now });
}

describe('the contact address is confirmed before anything else is sent to it', () => {
  it('sends only the code to a typed address, keeps the ticket out of the queue and the status page until the code comes back', async () => {
    const h = harness();
    const now = freshStart();
    const opened = await openForBen(h, now);
    const { contactEmail, ticketId, reference, ben } = opened;

    expect(h.capture.sent.map((m) => [m.to, m.purpose])).toEqual([[contactEmail, 'ticket-contact-code']]);
    expect(h.capture.sent.some((m) => m.to === ben.email || m.to === ben.phone)).toBe(false);

    const agent = await supervisor();
    const queued = async () => (await listQueue({ db, agent, filters: {}, sort: 'newest', limit: 100, now })).items.map((i) => i.id);
    expect(await queued()).not.toContain(ticketId);

    // The status page treats it as unknown: no code goes to the unconfirmed address that way either.
    await requestStatusCode({ ...h.deps, reference, email: contactEmail, ip: nextIp(), now });
    await h.scheduler.flush();
    expect(h.capture.sent).toHaveLength(1);

    expect(await confirm(h, opened, now)).toMatchObject({ status: 'confirmed', reference });
    expect(await queued()).toContain(ticketId);
    expect(h.capture.sent.filter((m) => m.to === contactEmail).map((m) => m.purpose)).toEqual(['ticket-contact-code', 'ticket-received']);
    expect(await db.auditEvent.count({ where: { subjectId: ticketId, action: 'ticket.contact_confirmed' } })).toBe(1);
  });

  it('a wrong code confirms nothing; an unconfirmed ticket expires in housekeeping', async () => {
    const h = harness();
    const now = freshStart();
    const opened = await openDocumentTicket({ ...h.deps, userId: null, contactEmail: email(), type: 'PASSKEY_RESET', lostFactors: ['passkey'], ip: nextIp(), now, newCode: () => CODE });
    const wrong = await confirmTicketContact({ ...h.deps, appUrl: APP_URL, ticketId: opened.ticketId, challengeId: opened.code.challengeId, code: '000000', ip: nextIp(), now });
    expect(wrong).toMatchObject({ status: 'wrong' });

    const later = new Date(now.getTime() + 2 * HOUR);
    await runMaintenance({ db, delivery: h.capture.delivery, hmacKey, appUrl: APP_URL, now: later });
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: opened.ticketId }, select: { status: true } })).toEqual({ status: 'EXPIRED' });
    expect(h.capture.sent.map((m) => m.purpose)).toEqual(['ticket-contact-code']);
  });

  it('refuses unverified tickets past the global hourly budget, says why, and /api/health reports degraded', async () => {
    const h = harness();
    const now = freshStart();
    expect(await checkHealth({ db, searchEngine: 'embedded', now })).toMatchObject({ status: 'ok', documentTickets: 'ok' });
    // The budget spent by others this hour, written directly (opening 100 through the form is slow).
    await db.recoveryTicket.createMany({
      data: Array.from({ length: UNVERIFIED_TICKETS_PER_HOUR }, (_, i) => ({
        reference: generateReference(),
        type: 'PASSKEY_RESET' as const,
        contactEmail: email(),
        lostFactors: ['passkey'],
        slaDueAt: now,
        openedUnverified: true,
        contactUnconfirmedUntil: new Date(now.getTime() + HOUR),
        createdAt: new Date(now.getTime() - 30 * 60_000 + i),
      })),
    });

    const refused = openDocumentTicket({ ...h.deps, userId: null, contactEmail: email(), type: 'PASSKEY_RESET', lostFactors: ['passkey'], ip: nextIp(), now });
    await expect(refused).rejects.toMatchObject({ code: 'rate_limited', userMessage: expect.stringContaining('more identity-document requests than we can review') });
    await h.scheduler.flush();
    expect(h.capture.sent).toHaveLength(0);
    expect(await checkHealth({ db, searchEngine: 'embedded', now })).toMatchObject({ status: 'degraded', documentTickets: 'budget_exhausted' });

    // A person whose verified code already named the account is not held back by strangers' floods.
    const user = await createUser(db);
    await expect(openDocumentTicket({ ...h.deps, userId: user.id, contactEmail: user.email, type: 'PASSKEY_RESET', lostFactors: ['passkey'], ip: nextIp(), now })).resolves.toMatchObject({ ticketId: expect.any(String) });

    // The budget refills as the hour moves on.
    const later = new Date(now.getTime() + 31 * 60_000);
    expect(await checkHealth({ db, searchEngine: 'embedded', now: later })).toMatchObject({ status: 'ok', documentTickets: 'ok' });
  });
});

describe('the account owner hears of every document recovery and can cancel it (rule 27)', () => {
  it('opening notifies every verified contact with a cancel link, once the contact address is confirmed', async () => {
    const h = harness();
    const now = freshStart();
    const opened = await openForBen(h, now);
    expect(h.capture.sent.filter((m) => m.to === opened.ben.email || m.to === opened.ben.phone)).toHaveLength(0);

    await confirm(h, opened, now);
    const notices = h.capture.sent.filter((m) => m.purpose === 'security-notice');
    expect(notices.map((m) => [m.channel, m.to]).sort()).toEqual([
      ['email', opened.ben.email],
      ['sms', opened.ben.phone],
    ]);
    for (const notice of notices) expect(cancelLink(notice)).toBeDefined();
    expect(notices.some((m) => m.to === opened.contactEmail)).toBe(false);
  });

  it('approving notifies every verified contact with a cancel link and holds the reset and its link until the window passes; housekeeping then issues it', async () => {
    const h = harness();
    const now = freshStart();
    const opened = await openForBen(h, now);
    await confirm(h, opened, now);
    const agent = await supervisor();
    await approve(opened.ticketId, agent.agentId, now);
    h.capture.sent.length = 0;

    const effect = await applyApprovedTicket({ ...h.deps, appUrl: APP_URL, now, cancelWindowHours: 24 }, { ticketId: opened.ticketId, agentId: agent.agentId });
    await h.scheduler.flush();
    expect(effect).toMatchObject({ removed: [], linkExpiresAt: null, proceedsAt: new Date(now.getTime() + 24 * HOUR) });
    const notices = h.capture.sent.filter((m) => m.purpose === 'security-notice');
    expect(notices.map((m) => m.to).sort()).toEqual([opened.ben.email, opened.ben.phone].sort());
    for (const notice of notices) expect(cancelLink(notice)).toBeDefined();
    expect(notices.find((m) => m.channel === 'email')!.text).toMatch(/goes ahead at .*unless you cancel/);
    expect(h.capture.sent.some((m) => m.purpose === 'ticket-approved')).toBe(false);
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: opened.ticketId }, select: { resetTokenHash: true } })).toEqual({ resetTokenHash: null });

    // Housekeeping inside the window changes nothing.
    const deps = { db, delivery: h.capture.delivery, hmacKey, appUrl: APP_URL, cancelWindowHours: 24 };
    expect((await runMaintenance({ ...deps, now: new Date(now.getTime() + 23 * HOUR) })).approvalsRetried).toBe(0);
    expect(h.capture.sent.some((m) => m.purpose === 'ticket-approved')).toBe(false);

    // After it, the reset runs and the link goes to the contact address; a second run sends nothing more.
    const after = await runMaintenance({ ...deps, now: new Date(now.getTime() + 24 * HOUR + 1) });
    expect(after).toMatchObject({ approvalsRetried: 1, failed: [] });
    expect(h.capture.sent.filter((m) => m.purpose === 'ticket-approved').map((m) => m.to)).toEqual([opened.contactEmail]);
    expect((await runMaintenance({ ...deps, now: new Date(now.getTime() + 25 * HOUR) })).approvalsRetried).toBe(0);
    expect(h.capture.sent.filter((m) => m.purpose === 'ticket-approved')).toHaveLength(1);
  });

  it('the cancel link cancels once (20 at the same time: one effect), is audited, and the held reset never runs', async () => {
    const h = harness();
    const now = freshStart();
    const opened = await openForBen(h, now);
    await confirm(h, opened, now);
    const agent = await supervisor();
    await approve(opened.ticketId, agent.agentId, now);
    h.capture.sent.length = 0;
    await applyApprovedTicket({ ...h.deps, appUrl: APP_URL, now, cancelWindowHours: 24 }, { ticketId: opened.ticketId, agentId: agent.agentId });
    await h.scheduler.flush();
    const token = cancelLink(h.capture.sent.find((m) => m.channel === 'email')!)!;

    const results = await Promise.all(Array.from({ length: 20 }, () => cancelTicketByOwner({ db, hmacKey, token, ip: nextIp(), now })));
    expect(results.filter((r) => r.status === 'cancelled')).toEqual([{ status: 'cancelled', reference: opened.reference }]);
    expect(results.filter((r) => r.status === 'used')).toHaveLength(19);
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: opened.ticketId }, select: { status: true } })).toEqual({ status: 'REJECTED' });
    expect(await db.auditEvent.count({ where: { subjectId: opened.ticketId, action: 'ticket.cancelled_by_owner' } })).toBe(1);
    const statusEvents = await db.auditEvent.findMany({ where: { subjectId: opened.ticketId, action: 'ticket.status_changed' }, select: { data: true } });
    expect(statusEvents.filter((e) => (e.data as { to?: string }).to === 'REJECTED')).toHaveLength(1);
    // The token itself is never logged (rule 26).
    expect(JSON.stringify(await db.auditEvent.findMany({ where: { subjectId: opened.ticketId }, select: { action: true, data: true } }))).not.toContain(token);

    // The opening notice's link is spent too, and the reset never runs.
    expect(await cancelTicketByOwner({ db, hmacKey, token, now })).toEqual({ status: 'used' });
    await runMaintenance({ db, delivery: h.capture.delivery, hmacKey, appUrl: APP_URL, cancelWindowHours: 24, now: new Date(now.getTime() + 25 * HOUR) });
    expect(h.capture.sent.some((m) => m.purpose === 'ticket-approved')).toBe(false);
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: opened.ticketId }, select: { resetTokenHash: true } })).toEqual({ resetTokenHash: null });
  });

  it('refuses expired, unknown and malformed cancel links', async () => {
    const h = harness();
    const now = freshStart();
    const opened = await openForBen(h, now);
    await confirm(h, opened, now);
    const token = cancelLink(h.capture.sent.find((m) => m.purpose === 'security-notice' && m.channel === 'email')!)!;

    expect(await cancelTicketByOwner({ db, hmacKey, token, now: new Date(now.getTime() + 8 * 24 * HOUR) })).toEqual({ status: 'expired' });
    expect(await cancelTicketByOwner({ db, hmacKey, token: randomBytes(32).toString('base64url'), now })).toEqual({ status: 'invalid' });
    expect(await cancelTicketByOwner({ db, hmacKey, token: 'not-a-token', now })).toEqual({ status: 'invalid' });
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: opened.ticketId }, select: { status: true } })).toEqual({ status: 'SUBMITTED' });
    // Within its life it works.
    expect(await cancelTicketByOwner({ db, hmacKey, token, now })).toMatchObject({ status: 'cancelled' });
  });
});
