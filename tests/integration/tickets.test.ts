import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { beginAuthenticatorSetup, confirmAuthenticatorSetup } from '@/lib/authenticator';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import type { TicketStatus } from '@/lib/db/generated/enums';
import { ticketApprovedEmail } from '@/lib/delivery/templates';
import type { OutgoingMessage } from '@/lib/delivery/types';
import { JOIN_EARLY_MINUTES, JoinRefused, joinAppointment, requestJoinCode, scheduleAppointment } from '@/lib/recovery/tickets/appointments';
import {
  REPLY_MAX_LENGTH,
  confirmTicketContact,
  RESET_TOKEN_TTL_HOURS,
  TICKET_SLA_HOURS,
  TransitionRefused,
  generateReference,
  getTicketStatusView,
  issueResetToken,
  openDocumentTicket,
  openResetLink,
  spendResetLink,
  replyToTicket,
  requestMoreInfo,
  requestStatusCode,
  transitionTicket,
  verifyStatusCode,
} from '@/lib/recovery/tickets';
import { verifyCode } from '@/lib/verification/challenges';
import { MAX_ATTEMPTS } from '@/lib/verification/policy';
import { capturingDelivery, collectingScheduler, fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';

const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const encryptionKey = randomBytes(32);
const MEETING_TEMPLATE = 'https://meet.jit.si/regain-{room}';
const APP_URL = 'https://help.regain.test';

// A month after the factories' real-time timestamps (so a fresh test user carries no "recent
// change" risk signal), 10 s into a 30-second TOTP step.
const T0 = new Date(Math.floor((Date.now() + 30 * 86_400_000) / 30_000) * 30_000 + 10_000);
const MINUTE = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms);

const STATUSES = ['SUBMITTED', 'IN_REVIEW', 'MORE_INFO_REQUESTED', 'APPROVED', 'REJECTED', 'COMPLETED', 'EXPIRED'] as const;
const ALLOWED: Record<TicketStatus, TicketStatus[]> = {
  SUBMITTED: ['IN_REVIEW', 'REJECTED', 'EXPIRED'],
  IN_REVIEW: ['MORE_INFO_REQUESTED', 'APPROVED', 'REJECTED'],
  MORE_INFO_REQUESTED: ['IN_REVIEW', 'REJECTED', 'EXPIRED'],
  APPROVED: ['COMPLETED', 'REJECTED', 'EXPIRED'],
  REJECTED: [],
  COMPLETED: [],
  EXPIRED: [],
};
const TERMINAL: TicketStatus[] = ['REJECTED', 'COMPLETED', 'EXPIRED'];

function harness(start: Date = T0) {
  const clock = fixedClock(start);
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  return { clock, capture, scheduler, deps: { db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule } };
}

let emailCounter = 0;
const freshEmail = () => `person-${++emailCounter}-${randomBytes(3).toString('hex')}@example.com`;

async function newAgent() {
  return db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Test Agent' }, select: { id: true } });
}

/** A ticket in any status, written directly: the starting point for transition tests. */
async function rawTicket(status: TicketStatus, options: { userId?: string | null; contactEmail?: string; lostFactors?: string[] } = {}) {
  return db.recoveryTicket.create({
    data: {
      reference: generateReference(),
      userId: options.userId ?? null,
      type: 'PASSKEY_RESET',
      status,
      contactEmail: options.contactEmail ?? freshEmail(),
      lostFactors: options.lostFactors ?? ['passkey'],
      slaDueAt: at(TICKET_SLA_HOURS * 3600_000),
      createdAt: T0,
    },
    select: { id: true, reference: true, contactEmail: true, userId: true },
  });
}

async function enrolAuthenticator(userId: string, when: Date) {
  const setup = await beginAuthenticatorSetup({ db, encryptionKey, owner: { userId }, accountName: 'person@example.com' });
  const secret = base32Decode(setup.setupKey);
  await confirmAuthenticatorSetup({ db, encryptionKey, owner: { userId }, authenticatorId: setup.authenticatorId, code: totp(secret, { time: when }), now: when });
  return secret;
}

const mailText = (m: Pick<OutgoingMessage, 'subject' | 'text' | 'html'>) => `${m.subject ?? ''}\n${m.text}\n${m.html ?? ''}`;

// ───────────────────────────── State machine ─────────────────────────────

describe('ticket transitions against the database', () => {
  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to, ALLOWED[from].includes(to)] as const));

  it.each(pairs)('%s → %s (allowed: %s)', async (from, to, allowed) => {
    const agent = await newAgent();
    const ticket = await rawTicket(from);
    const now = at(MINUTE);
    const move = transitionTicket(db, { ticketId: ticket.id, from, to, actor: { kind: 'agent', agentId: agent.id }, reason: 'checked the documents', now });
    const row = () => db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { status: true, closedAt: true, decisionReason: true, approvedById: true } });
    const history = () => db.ticketMessage.findMany({ where: { ticketId: ticket.id, kind: 'STATUS_CHANGE' }, select: { agentId: true, body: true } });
    const audits = () => db.auditEvent.findMany({ where: { subjectId: ticket.id, action: 'ticket.status_changed' }, select: { actorType: true, actorId: true, data: true } });

    if (!allowed) {
      await expect(move).rejects.toBeInstanceOf(TransitionRefused);
      expect((await row()).status).toBe(from);
      expect(await history()).toHaveLength(0);
      expect(await audits()).toHaveLength(0);
      return;
    }
    await expect(move).resolves.toEqual({ from, to });
    const after = await row();
    expect(after.status).toBe(to);
    expect(after.closedAt).toEqual(TERMINAL.includes(to) ? now : null);
    expect(after.approvedById).toBe(to === 'APPROVED' ? agent.id : null);
    expect(after.decisionReason).toBe(to === 'APPROVED' || to === 'REJECTED' ? 'checked the documents' : null);
    expect(await history()).toEqual([{ agentId: agent.id, body: expect.stringContaining('checked the documents') }]);
    expect(await audits()).toEqual([{ actorType: 'AGENT', actorId: agent.id, data: { from, to, reason: 'checked the documents' } }]);
  });

  it('without `from`, moves from wherever the ticket is, by the same table', async () => {
    const ticket = await rawTicket('MORE_INFO_REQUESTED');
    await expect(transitionTicket(db, { ticketId: ticket.id, to: 'APPROVED', actor: { kind: 'system' }, now: T0 })).rejects.toBeInstanceOf(TransitionRefused);
    await expect(transitionTicket(db, { ticketId: ticket.id, to: 'EXPIRED', actor: { kind: 'system' }, now: T0 })).resolves.toEqual({ from: 'MORE_INFO_REQUESTED', to: 'EXPIRED' });
  });

  it('refuses a transition from a status the ticket is no longer in', async () => {
    const ticket = await rawTicket('IN_REVIEW');
    const error = await transitionTicket(db, { ticketId: ticket.id, from: 'SUBMITTED', to: 'IN_REVIEW', actor: { kind: 'system' }, now: T0 }).catch((e) => e);
    expect(error).toBeInstanceOf(TransitionRefused);
    expect(error.code).toBe('conflict');
  });

  it('lets exactly one of two simultaneous decisions apply (approve vs reject, and approve twice)', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await newAgent(), await newAgent()];
      const ticket = await rawTicket('IN_REVIEW');
      const targets: TicketStatus[] = round % 2 === 0 ? ['APPROVED', 'REJECTED'] : ['APPROVED', 'APPROVED'];
      const results = await Promise.allSettled([
        transitionTicket(db, { ticketId: ticket.id, from: 'IN_REVIEW', to: targets[0]!, actor: { kind: 'agent', agentId: a.id }, now: T0 }),
        transitionTicket(db, { ticketId: ticket.id, from: 'IN_REVIEW', to: targets[1]!, actor: { kind: 'agent', agentId: b.id }, now: T0 }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(TransitionRefused);
      const { to } = (won[0] as PromiseFulfilledResult<{ to: TicketStatus }>).value;
      expect((await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe(to);
      expect(await db.ticketMessage.count({ where: { ticketId: ticket.id, kind: 'STATUS_CHANGE' } })).toBe(1);
      expect(await db.auditEvent.count({ where: { subjectId: ticket.id, action: 'ticket.status_changed' } })).toBe(1);
    }
  });
});

// ───────────────────────────── Opening a ticket ─────────────────────────────

describe('opening an identity-document ticket', () => {
  it('stores the ticket, sends only a code to the contact address, and emails the reference without any link once the code comes back', async () => {
    const { deps, capture, scheduler } = harness();
    const user = await createUser(db);
    const result = await openDocumentTicket({ ...deps, userId: null, contactEmail: `  ${user.email.toUpperCase()} `, type: 'AUTHENTICATOR_RESET', lostFactors: ['authenticator'], ip: nextIp(), now: T0 });
    await scheduler.flush();

    expect(Object.keys(result).sort()).toEqual(['code', 'reference', 'ticketId']);
    expect(result.reference).toMatch(/^RG-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/);
    const ticket = await db.recoveryTicket.findUniqueOrThrow({ where: { id: result.ticketId } });
    expect(ticket).toMatchObject({
      reference: result.reference,
      userId: user.id,
      status: 'SUBMITTED',
      contactEmail: user.email,
      lostFactors: ['authenticator'],
      riskLevel: 'LOW',
      riskSignals: [],
      slaDueAt: at(TICKET_SLA_HOURS * 3600_000),
    });
    expect(TICKET_SLA_HOURS).toBe(48);
    expect(ticket.contactUnconfirmedUntil).not.toBeNull();

    // Until the address is confirmed it gets its code and nothing else.
    expect(capture.sent.map((m) => m.purpose)).toEqual(['ticket-contact-code']);
    const confirmed = await confirmTicketContact({ ...deps, appUrl: 'https://help.example.com', ticketId: result.ticketId, challengeId: result.code.challengeId, code: capture.lastCode(user.email)!, ip: nextIp(), now: T0 });
    expect(confirmed).toEqual({ status: 'confirmed', ticketId: result.ticketId, reference: result.reference });
    await scheduler.flush();
    const mail = capture.sent.find((m) => m.purpose === 'ticket-received')!;
    expect(mail).toMatchObject({ channel: 'email', to: user.email, purpose: 'ticket-received' });
    expect(mail.text).toContain(result.reference);
    expect(mail.html).toContain(result.reference);
    // Security mail carries no link (phishing copies links); the reference is typed on the status page.
    expect(mailText(mail)).not.toMatch(/https?:|<a\s|www\./i);

    const audit = await db.auditEvent.findFirstOrThrow({ where: { subjectId: result.ticketId, action: 'ticket.opened' } });
    expect(audit).toMatchObject({ actorType: 'USER', actorId: user.id });
  });

  it('looks the same for an address with no account: same answer and mail, a ticket with no user', async () => {
    const { deps, capture, scheduler } = harness();
    const user = await createUser(db);
    const known = await openDocumentTicket({ ...deps, userId: null, contactEmail: user.email, type: 'PASSKEY_RESET', lostFactors: ['passkey'], ip: nextIp(), now: T0 });
    const stranger = freshEmail();
    const unknown = await openDocumentTicket({ ...deps, userId: null, contactEmail: stranger, type: 'PASSKEY_RESET', lostFactors: ['passkey'], ip: nextIp(), now: T0 });
    await scheduler.flush();

    expect(Object.keys(unknown).sort()).toEqual(Object.keys(known).sort());
    expect(unknown.reference).toMatch(/^RG-\w{4}-\w{4}$/);
    const row = await db.recoveryTicket.findUniqueOrThrow({ where: { id: unknown.ticketId } });
    expect(row).toMatchObject({ userId: null, status: 'SUBMITTED', contactEmail: stranger });
    expect(row.riskSignals).toEqual([expect.objectContaining({ signal: 'no_matching_account' })]);

    // Both get the same code mail, differing only in the code.
    expect(capture.sent.map((m) => m.to)).toEqual([user.email, stranger]);
    const [a, b] = capture.sent as [OutgoingMessage, OutgoingMessage];
    expect(b.subject).toBe(a.subject);
    expect(b.text.replace(b.sensitive![0]!, 'CODE')).toBe(a.text.replace(a.sensitive![0]!, 'CODE'));
    expect(b.html!.replaceAll(b.sensitive![0]!, 'CODE')).toBe(a.html!.replaceAll(a.sensitive![0]!, 'CODE'));
  });

  it('marks a ticket HIGH risk for a high-value account or a contact or factor change in the last 7 days', async () => {
    const { deps } = harness();
    const open = (userId: string) => openDocumentTicket({ ...deps, userId, contactEmail: freshEmail(), type: 'FULL_RECOVERY', lostFactors: ['passkey', 'phone'], ip: nextIp(), now: T0 });
    const ticketOf = async (userId: string) => db.recoveryTicket.findUniqueOrThrow({ where: { id: (await open(userId)).ticketId }, select: { riskLevel: true, riskSignals: true } });

    const highValue = await createUser(db);
    await db.user.update({ where: { id: highValue.id }, data: { highValue: true } });
    expect(await ticketOf(highValue.id)).toEqual({ riskLevel: 'HIGH', riskSignals: [expect.objectContaining({ signal: 'high_value_account' })] });

    const newPhone = await createUser(db);
    await db.user.update({ where: { id: newPhone.id }, data: { phoneVerifiedAt: at(-2 * 86_400_000) } });
    expect(await ticketOf(newPhone.id)).toEqual({
      riskLevel: 'HIGH',
      riskSignals: [{ signal: 'contact_changed_recently', detail: 'phone number verified', at: at(-2 * 86_400_000).toISOString() }],
    });

    const newApp = await createUser(db);
    await enrolAuthenticator(newApp.id, at(-3 * 86_400_000));
    expect(await ticketOf(newApp.id)).toMatchObject({ riskLevel: 'HIGH', riskSignals: [expect.objectContaining({ signal: 'factor_changed_recently' })] });

    const resetByHold = await createUser(db);
    await db.securityHold.create({ data: { userId: resetByHold.id, reason: 'PASSKEY_RESET', scope: ['WITHDRAWALS'], startsAt: at(-86_400_000), endsAt: T0 } });
    expect(await ticketOf(resetByHold.id)).toMatchObject({ riskLevel: 'HIGH', riskSignals: [expect.objectContaining({ signal: 'factor_changed_recently' })] });

    // Eight days ago is outside the window.
    const oldChange = await createUser(db);
    await db.user.update({ where: { id: oldChange.id }, data: { phoneVerifiedAt: at(-8 * 86_400_000) } });
    await enrolAuthenticator(oldChange.id, at(-8 * 86_400_000));
    expect(await ticketOf(oldChange.id)).toEqual({ riskLevel: 'LOW', riskSignals: [] });
  });

  it('refuses what is not a lost factor, and limits tickets per IP', async () => {
    const { deps, capture, scheduler } = harness();
    const base = { ...deps, userId: null, contactEmail: freshEmail(), type: 'PASSKEY_RESET' as const, now: T0 };
    await expect(openDocumentTicket({ ...base, lostFactors: ['password'], ip: nextIp() })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(openDocumentTicket({ ...base, lostFactors: [], ip: nextIp() })).rejects.toMatchObject({ code: 'validation_failed' });
    const ip = nextIp();
    for (let i = 0; i < 10; i++) await openDocumentTicket({ ...base, contactEmail: freshEmail(), lostFactors: ['passkey'], ip });
    await scheduler.flush();
    const before = capture.sent.length;
    await expect(openDocumentTicket({ ...base, contactEmail: freshEmail(), lostFactors: ['passkey'], ip })).rejects.toMatchObject({ code: 'rate_limited' });
    await scheduler.flush();
    expect(capture.sent.length).toBe(before);
  });
});

// ───────────────────────────── Status page access ─────────────────────────────

describe('status page codes (docs/security.md 1-3, 13)', () => {
  async function ticketWithCode(options: { userId?: string } = {}) {
    const h = harness();
    const ticket = await rawTicket('IN_REVIEW', options);
    const request = (email = ticket.contactEmail, reference = ticket.reference, ip = nextIp()) =>
      requestStatusCode({ ...h.deps, reference, email, ip, now: h.clock.now() }).then(async (r) => {
        await h.scheduler.flush();
        return r;
      });
    const verify = (challengeId: string, code: string, ip = nextIp()) => verifyStatusCode({ db, hmacKey, challengeId, code, ip, now: h.clock.now() });
    return { ...h, ticket, request, verify };
  }

  it('sends a 6-digit code to the contact address when reference and email match; the code opens the status once', async () => {
    const { ticket, request, verify, capture } = await ticketWithCode();
    const sent = await request(ticket.contactEmail.toUpperCase(), ticket.reference.toLowerCase().replace(/-/g, ' '));
    expect(sent).toEqual({ challengeId: expect.any(String), expiresAt: at(10 * MINUTE).toISOString(), attemptsLeft: MAX_ATTEMPTS, destination: expect.stringMatching(/^p•••@example\.com$/) });
    expect(capture.sent).toHaveLength(1);
    expect(capture.sent[0]).toMatchObject({ channel: 'email', to: ticket.contactEmail, purpose: 'ticket-status-code', challengeId: sent.challengeId });
    const code = capture.lastCode()!;
    expect(code).toMatch(/^\d{6}$/);

    const row = await db.verificationChallenge.findUniqueOrThrow({ where: { id: sent.challengeId } });
    expect(row).toMatchObject({ purpose: 'TICKET_STATUS', channel: 'EMAIL', userId: null, maxAttempts: MAX_ATTEMPTS });
    expect(row.codeHash).toHaveLength(32);
    expect(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(code);

    expect(await verify(sent.challengeId, code)).toEqual({ status: 'verified', ticketId: ticket.id });
    expect(await verify(sent.challengeId, code)).toEqual({ status: 'used' });
    const audits = await db.auditEvent.findMany({ where: { subjectId: ticket.id }, select: { action: true, data: true } });
    expect(audits.map((a) => a.action)).toEqual(['ticket.status_code_requested', 'ticket.status_code_verified']);
    expect(JSON.stringify(audits)).not.toContain(code);
  });

  it('answers a wrong email or an unknown reference with a decoy of the same shape that sends nothing and never verifies', async () => {
    const { ticket, request, verify, capture } = await ticketWithCode();
    const real = await request();
    const realCode = capture.lastCode()!;
    const wrongEmail = await request('someone-else@example.com');
    const unknownRef = await request(ticket.contactEmail, generateReference());

    expect(capture.sent).toHaveLength(1);
    for (const decoy of [wrongEmail, unknownRef]) {
      expect(Object.keys(decoy).sort()).toEqual(Object.keys(real).sort());
      expect(decoy.attemptsLeft).toBe(real.attemptsLeft);
      expect(decoy.expiresAt).toBe(real.expiresAt);
      const row = await db.verificationChallenge.findUniqueOrThrow({ where: { id: decoy.challengeId } });
      expect(row).toMatchObject({ purpose: 'TICKET_STATUS', codeHash: null });
      // Not even the real ticket's code opens a decoy.
      expect(await verify(decoy.challengeId, realCode)).toEqual({ status: 'wrong', attemptsLeft: MAX_ATTEMPTS - 1 });
    }
    expect(wrongEmail.destination).toBe('s•••@example.com');
  });

  it(`kills the challenge after ${MAX_ATTEMPTS} wrong codes, even for the right code afterwards`, async () => {
    const { request, verify, capture } = await ticketWithCode();
    const { challengeId } = await request();
    const code = capture.lastCode()!;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let left = MAX_ATTEMPTS - 1; left > 0; left--) expect(await verify(challengeId, wrong)).toEqual({ status: 'wrong', attemptsLeft: left });
    expect(await verify(challengeId, wrong)).toEqual({ status: 'locked' });
    expect(await verify(challengeId, code)).toEqual({ status: 'locked' });
  });

  it('asking again kills the previous code and keeps the failed attempts', async () => {
    const { request, verify, capture } = await ticketWithCode();
    // The same browser asking again (another client's request would get its own challenge).
    const me = nextIp();
    const first = await request(undefined, undefined, me);
    const firstCode = capture.lastCode()!;
    const wrong = firstCode === '000000' ? '111111' : '000000';
    await verify(first.challengeId, wrong);
    await verify(first.challengeId, wrong);
    const second = await request(undefined, undefined, me);
    expect(second.attemptsLeft).toBe(MAX_ATTEMPTS - 2);
    const secondCode = capture.lastCode()!;
    expect(await verify(first.challengeId, firstCode)).toEqual({ status: 'expired' });
    expect(await verify(second.challengeId, secondCode)).toMatchObject({ status: 'verified' });
  });

  it('of 20 simultaneous correct submissions exactly one succeeds', async () => {
    const { ticket, request, verify, capture } = await ticketWithCode();
    const { challengeId } = await request();
    const code = capture.lastCode()!;
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(challengeId, code)));
    expect(results.filter((r) => r.status === 'verified')).toEqual([{ status: 'verified', ticketId: ticket.id }]);
    expect(results.filter((r) => r.status !== 'verified').every((r) => r.status === 'used' || r.status === 'locked')).toBe(true);
  });

  it("is never a recovery proof: lib/verification's verifyCode cannot verify it, for an account's own ticket either", async () => {
    const user = await createUser(db);
    const { request, verify, capture } = await ticketWithCode({ userId: user.id });
    const { challengeId } = await request();
    const code = capture.lastCode()!;
    const result = await verifyCode({ db, hmacKey, delivery: capture.delivery, now: () => T0 }, { challengeId, code, ip: nextIp() });
    expect(result.status).not.toBe('verified');
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId } })).consumedAt).toBeNull();
    expect(await verify(challengeId, code)).toMatchObject({ status: 'verified' });
  });

  it('limits code requests per email address and sends nothing past the limit (docs/security.md 4)', async () => {
    const { request, capture, ticket } = await ticketWithCode();
    for (let i = 0; i < 5; i++) await request();
    await expect(request()).rejects.toMatchObject({ code: 'rate_limited' });
    // The same limit holds for a decoy, so the limit itself tells nothing.
    await expect(request(ticket.contactEmail, generateReference())).rejects.toMatchObject({ code: 'rate_limited' });
    expect(capture.sent).toHaveLength(5);
  });
});

// ───────────────────────────── Status page, questions and answers ─────────────────────────────

describe('the status page and the conversation', () => {
  it('an info request moves the ticket to MORE_INFO_REQUESTED and a reply moves it back to IN_REVIEW', async () => {
    const { deps, capture, scheduler, clock } = harness();
    const agent = await newAgent();
    const ticket = await rawTicket('IN_REVIEW');
    await db.ticketMessage.create({ data: { ticketId: ticket.id, kind: 'INTERNAL_NOTE', agentId: agent.id, body: 'Selfie looks edited; ask for a new one.', createdAt: T0 } });

    clock.advance(60);
    await requestMoreInfo({ ...deps, ticketId: ticket.id, agentId: agent.id, body: 'Please upload a new selfie in daylight.', now: clock.now() });
    await scheduler.flush();
    expect((await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('MORE_INFO_REQUESTED');
    expect(capture.sent).toHaveLength(1);
    const mail = capture.sent[0]!;
    expect(mail).toMatchObject({ to: ticket.contactEmail, purpose: 'ticket-info-request' });
    expect(mailText(mail)).toContain(ticket.reference);
    // The question is read on the status page, not in the mail; and no link.
    expect(mailText(mail)).not.toContain('selfie in daylight');
    expect(mailText(mail)).not.toMatch(/https?:|<a\s/i);

    let view = (await getTicketStatusView({ db, ticketId: ticket.id, now: clock.now() }))!;
    expect(view).toMatchObject({ reference: ticket.reference, status: 'MORE_INFO_REQUESTED', statusLabel: 'Waiting for you', canReply: true });
    expect(view.explanation).toMatch(/need something more/);
    expect(view.conversation).toEqual([{ from: 'support', body: 'Please upload a new selfie in daylight.', at: clock.now().toISOString() }]);
    expect(JSON.stringify(view)).not.toContain('edited');

    clock.advance(3600);
    const reply = await replyToTicket({ db, ticketId: ticket.id, body: '  Done —\r\nI uploaded it this morning.\u202e  ', now: clock.now() });
    expect(reply).toEqual({ status: 'IN_REVIEW' });
    view = (await getTicketStatusView({ db, ticketId: ticket.id, now: clock.now() }))!;
    expect(view.status).toBe('IN_REVIEW');
    expect(view.conversation.map((m) => [m.from, m.body])).toEqual([
      ['support', 'Please upload a new selfie in daylight.'],
      ['you', 'Done —\nI uploaded it this morning.'],
    ]);
    expect(view.updatedAt).toBe(clock.now().toISOString());
    const history = await db.ticketMessage.findMany({ where: { ticketId: ticket.id, kind: 'STATUS_CHANGE' }, orderBy: { createdAt: 'asc' }, select: { agentId: true } });
    expect(history).toEqual([{ agentId: agent.id }, { agentId: null }]);
  });

  it('refuses an info request unless the ticket is in review', async () => {
    const { deps } = harness();
    const agent = await newAgent();
    const ticket = await rawTicket('SUBMITTED');
    await expect(requestMoreInfo({ ...deps, ticketId: ticket.id, agentId: agent.id, body: 'Anything?', now: T0 })).rejects.toBeInstanceOf(TransitionRefused);
    expect(await db.ticketMessage.count({ where: { ticketId: ticket.id } })).toBe(0);
  });

  it('refuses replies that are empty, too long, or to a closed ticket', async () => {
    const open = await rawTicket('IN_REVIEW');
    await expect(replyToTicket({ db, ticketId: open.id, body: ' \n\t ', now: T0 })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(replyToTicket({ db, ticketId: open.id, body: 'x'.repeat(REPLY_MAX_LENGTH + 1), now: T0 })).rejects.toMatchObject({ code: 'validation_failed' });
    // A reply while in review is kept and leaves the status alone.
    expect(await replyToTicket({ db, ticketId: open.id, body: 'x'.repeat(REPLY_MAX_LENGTH), now: T0 })).toEqual({ status: 'IN_REVIEW' });
    for (const status of TERMINAL) {
      const closed = await rawTicket(status);
      await expect(replyToTicket({ db, ticketId: closed.id, body: 'hello?', now: T0 })).rejects.toMatchObject({ code: 'conflict' });
      expect(await db.ticketMessage.count({ where: { ticketId: closed.id } })).toBe(0);
    }
  });

  it('shows documents with their check results and the next call window, never bytes or the meeting link', async () => {
    const agent = await newAgent();
    const ticket = await rawTicket('IN_REVIEW');
    const doc = { mimeType: 'image/jpeg', byteSize: 1000, sha256: 'ab'.repeat(32), ciphertext: new Uint8Array([1, 2, 3]), wrappedKey: new Uint8Array(40), iv: new Uint8Array(12), authTag: new Uint8Array(16) };
    await db.ticketDocument.create({ data: { ...doc, ticketId: ticket.id, kind: 'ID_FRONT', checkResult: { ok: true, problems: [] }, createdAt: at(1000) } });
    await db.ticketDocument.create({ data: { ...doc, ticketId: ticket.id, kind: 'SELFIE', checkResult: { ok: false, problems: ['The photo is blurred.'] }, createdAt: at(2000) } });
    await db.ticketDocument.create({ data: { ...doc, ticketId: ticket.id, kind: 'ID_BACK', createdAt: at(3000), deletedAt: at(4000) } });
    await db.videoAppointment.create({ data: { ticketId: ticket.id, agentId: agent.id, startsAt: at(-2 * 3600_000), endsAt: at(-3600_000), meetingUrl: 'https://meet.example/old' } });
    await db.videoAppointment.create({ data: { ticketId: ticket.id, agentId: agent.id, startsAt: at(3600_000), endsAt: at(5400_000), meetingUrl: 'https://meet.example/secret-room' } });

    const view = (await getTicketStatusView({ db, ticketId: ticket.id, now: T0 }))!;
    expect(view.documents).toEqual([
      { kind: 'ID_FRONT', uploadedAt: at(1000).toISOString(), ok: true, problems: [] },
      { kind: 'SELFIE', uploadedAt: at(2000).toISOString(), ok: false, problems: ['The photo is blurred.'] },
    ]);
    expect(view.appointment).toEqual({ startsAt: at(3600_000).toISOString(), endsAt: at(5400_000).toISOString() });
    const json = JSON.stringify(view);
    expect(json).not.toContain('meet.example');
    expect(json).not.toMatch(/ciphertext|wrappedKey|sha256|riskSignals|contactEmail/);
    expect(await getTicketStatusView({ db, ticketId: 'not-a-uuid', now: T0 })).toBeUndefined();
  });
});

// ───────────────────────────── Reset link after approval ─────────────────────────────

describe('the reset link after approval: one browser, spent when the new factor is bound', () => {
  async function approvedTicket() {
    const user = await createUser(db);
    const agent = await newAgent();
    const ticket = await rawTicket('IN_REVIEW', { userId: user.id, lostFactors: ['authenticator', 'phone'] });
    const { token, expiresAt } = await db.$transaction(async (tx) => {
      await transitionTicket(tx, { ticketId: ticket.id, from: 'IN_REVIEW', to: 'APPROVED', actor: { kind: 'agent', agentId: agent.id }, now: T0 });
      return issueResetToken({ tx, hmacKey, ticketId: ticket.id, now: T0 });
    });
    return { user, ticket, token, expiresAt };
  }
  /** Each call is one request; like the completion action, it runs in a transaction of its own. */
  const open = (token: string, now: Date, browserKey?: string) => db.$transaction((tx) => openResetLink({ db: tx, hmacKey, token, browserKey, now }));

  it('is 256 random bits, stored only as a keyed hash, binds the first browser and works there until spent', async () => {
    const { user, ticket, token, expiresAt } = await approvedTicket();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toEqual(at(RESET_TOKEN_TTL_HOURS * 3600_000));
    expect(RESET_TOKEN_TTL_HOURS).toBe(72);
    const row = await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { resetTokenHash: true } });
    expect(row.resetTokenHash).toHaveLength(32);
    expect(Buffer.from(row.resetTokenHash!).toString('base64url')).not.toBe(token);

    const first = await open(token, at(MINUTE));
    expect(first).toEqual({ status: 'opened', ticketId: ticket.id, userId: user.id, lostFactors: ['authenticator', 'phone'], expiresAt, browserKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const browserKey = (first as { browserKey: string }).browserKey;
    // Only a keyed hash of the browser's secret is kept.
    const bound = await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id }, select: { resetLinkBrowserHash: true } });
    expect(bound.resetLinkBrowserHash).toHaveLength(32);
    expect(Buffer.from(bound.resetLinkBrowserHash!).toString('base64url')).not.toBe(browserKey);

    expect(await open(token, at(2 * MINUTE), browserKey)).toMatchObject({ status: 'resumed', ticketId: ticket.id, browserKey });
    expect(await open(token, at(2 * MINUTE))).toEqual({ status: 'other_browser' });
    expect(await open(token, at(2 * MINUTE), randomBytes(32).toString('base64url'))).toEqual({ status: 'other_browser' });
    expect(await open(randomBytes(32).toString('base64url'), at(MINUTE))).toEqual({ status: 'invalid' });

    await spendResetLink(db, ticket.id, at(3 * MINUTE));
    expect(await open(token, at(4 * MINUTE), browserKey)).toEqual({ status: 'used' });
  });

  it('of 20 simultaneous first opens from different browsers exactly one binds it', async () => {
    const { token, user } = await approvedTicket();
    const results = await Promise.all(Array.from({ length: 20 }, () => open(token, at(MINUTE))));
    expect(results.filter((r) => r.status === 'opened')).toEqual([expect.objectContaining({ userId: user.id })]);
    expect(results.filter((r) => r.status === 'other_browser')).toHaveLength(19);
  });

  it(`expires after ${RESET_TOKEN_TTL_HOURS} hours, in its own browser too`, async () => {
    const { token } = await approvedTicket();
    const opened = await open(token, at(MINUTE));
    expect(await open(token, at(RESET_TOKEN_TTL_HOURS * 3600_000), (opened as { browserKey: string }).browserKey)).toEqual({ status: 'expired' });
    const other = await approvedTicket();
    expect(await open(other.token, at(RESET_TOKEN_TTL_HOURS * 3600_000))).toEqual({ status: 'expired' });
    const third = await approvedTicket();
    expect(await open(third.token, at(RESET_TOKEN_TTL_HOURS * 3600_000 - 1000))).toMatchObject({ status: 'opened' });
  });

  it('is issued only for an approved ticket with an account, and a new one replaces the old (and its browser)', async () => {
    const inReview = await rawTicket('IN_REVIEW', { userId: (await createUser(db)).id });
    await expect(issueResetToken({ tx: db, hmacKey, ticketId: inReview.id, now: T0 })).rejects.toMatchObject({ code: 'conflict' });
    const noAccount = await rawTicket('APPROVED');
    await expect(issueResetToken({ tx: db, hmacKey, ticketId: noAccount.id, now: T0 })).rejects.toMatchObject({ code: 'conflict' });

    const { ticket, token } = await approvedTicket();
    await open(token, at(MINUTE));
    const again = await issueResetToken({ tx: db, hmacKey, ticketId: ticket.id, now: T0 });
    expect(await open(token, at(MINUTE))).toEqual({ status: 'invalid' });
    // Support sent a new link (say the first browser was lost): any one browser may open it.
    expect(await open(again.token, at(MINUTE))).toMatchObject({ status: 'opened' });
  });

  it('goes out in the one mail allowed a link: printed in full, said to work in one browser, never signing anyone in', async () => {
    const { token, expiresAt, ticket } = await approvedTicket();
    const resetUrl = `https://regain.example/recover/complete#${token}`;
    const mail = ticketApprovedEmail({ reference: ticket.reference, resetUrl, expiresAt });
    expect(mail.text).toContain(resetUrl);
    expect(mail.html).toContain(`href="${resetUrl}"`);
    expect(mail.html).toContain(`>${resetUrl}</a>`);
    expect(mailText(mail).match(/https?:\/\/[^\s"<]+/g)!.every((u) => u === resetUrl || u === 'https://regain.example/')).toBe(true);
    expect(mail.text).toMatch(/one browser/);
    expect(mail.text).toMatch(/doesn't sign you in/);
    expect(mail.subject).not.toContain(token);
  });

  it('stops working once the ticket is no longer approved', async () => {
    const { ticket, token } = await approvedTicket();
    await transitionTicket(db, { ticketId: ticket.id, from: 'APPROVED', to: 'EXPIRED', actor: { kind: 'system' }, now: at(MINUTE) });
    expect(await open(token, at(2 * MINUTE))).toEqual({ status: 'invalid' });
  });
});

// ───────────────────────────── Video-call appointments ─────────────────────────────

describe('video-call appointments', () => {
  const START = at(3600_000);
  const END = at(3600_000 + 30 * MINUTE);

  async function booked() {
    const h = harness();
    const user = await createUser(db);
    const secret = await enrolAuthenticator(user.id, at(-30 * 86_400_000));
    const agent = await newAgent();
    const ticket = await rawTicket('IN_REVIEW', { userId: user.id });
    const appointment = await scheduleAppointment({ ...h.deps, ticketId: ticket.id, agentId: agent.id, startsAt: START, endsAt: END, meetingUrlTemplate: MEETING_TEMPLATE, appUrl: APP_URL, now: T0 });
    await h.scheduler.flush();
    const askCode = async (when: Date, reference = ticket.reference) => {
      const request = await requestJoinCode({ ...h.deps, reference, ip: nextIp(), now: when });
      await h.scheduler.flush();
      return request;
    };
    const appCode = (when: Date) => totp(secret, { time: when });
    const join = (challengeId: string, emailCode: string, authenticatorCode: string, when: Date, ip = nextIp()) =>
      joinAppointment({ db, hmacKey, encryptionKey, challengeId, emailCode, authenticatorCode, ip, now: when });
    return { ...h, user, agent, ticket, appointment, askCode, appCode, join };
  }

  it('books a random room, stores it, and emails the window in UTC without any link', async () => {
    const { appointment, ticket, capture } = await booked();
    expect(appointment.meetingUrl).toMatch(/^https:\/\/meet\.jit\.si\/regain-[0-9a-f]{32}$/);
    const row = await db.videoAppointment.findUniqueOrThrow({ where: { id: appointment.appointmentId } });
    expect(row).toMatchObject({ ticketId: ticket.id, startsAt: START, endsAt: END, meetingUrl: appointment.meetingUrl, joinedAt: null });
    expect(capture.sent).toHaveLength(1);
    const mail = capture.sent[0]!;
    expect(mail).toMatchObject({ to: ticket.contactEmail, purpose: 'ticket-appointment' });
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    expect(mail.text).toContain(`${hhmm(START)} to ${hhmm(END)} UTC`);
    expect(mailText(mail)).not.toContain(appointment.meetingUrl.split('regain-')[1]);
    expect(mailText(mail)).not.toMatch(/https?:|<a\s/i);
  });

  it('refuses to book a call for someone who cannot produce an authenticator code', async () => {
    const { deps } = harness();
    const agent = await newAgent();
    const noApp = await rawTicket('IN_REVIEW', { userId: (await createUser(db)).id });
    await expect(scheduleAppointment({ ...deps, ticketId: noApp.id, agentId: agent.id, startsAt: START, endsAt: END, meetingUrlTemplate: MEETING_TEMPLATE, appUrl: APP_URL, now: T0 })).rejects.toMatchObject({ code: 'conflict' });
    const lostApp = await rawTicket('IN_REVIEW', { userId: (await createUser(db)).id, lostFactors: ['authenticator'] });
    await enrolAuthenticator(lostApp.userId!, at(-86_400_000 * 30));
    await expect(scheduleAppointment({ ...deps, ticketId: lostApp.id, agentId: agent.id, startsAt: START, endsAt: END, meetingUrlTemplate: MEETING_TEMPLATE, appUrl: APP_URL, now: T0 })).rejects.toMatchObject({ code: 'conflict' });
    expect(await db.videoAppointment.count({ where: { ticketId: { in: [noApp.id, lostApp.id] } } })).toBe(0);
  });

  it('gives the meeting link for the right email and authenticator codes inside the window, and records the join', async () => {
    const { askCode, appCode, join, capture, ticket, appointment, user } = await booked();
    const when = new Date(START.getTime() - 2 * MINUTE);
    const request = await askCode(when);
    expect(request).toEqual({ challengeId: expect.any(String), expiresAt: new Date(when.getTime() + 10 * MINUTE).toISOString(), attemptsLeft: MAX_ATTEMPTS });
    const codeMail = capture.sent.at(-1)!;
    expect(codeMail).toMatchObject({ to: ticket.contactEmail, purpose: 'video-call-code' });
    const emailCode = capture.lastCode()!;

    const joined = await join(request.challengeId, emailCode, appCode(when), when);
    expect(joined).toEqual({ meetingUrl: appointment.meetingUrl, startsAt: START, endsAt: END });
    expect((await db.videoAppointment.findUniqueOrThrow({ where: { id: appointment.appointmentId } })).joinedAt).toEqual(when);
    expect(await db.auditEvent.findFirst({ where: { subjectId: ticket.id, action: 'ticket.appointment_joined' } })).toMatchObject({ actorType: 'USER', actorId: user.id });
  });

  it('opens exactly 5 minutes before the start and closes at the end, saying when the call is', async () => {
    const { askCode, appCode, join, capture } = await booked();
    const attemptAt = async (when: Date, askedAt = when) => {
      const request = await askCode(askedAt);
      return join(request.challengeId, capture.lastCode()!, appCode(when), when).catch((error) => error);
    };
    const tooEarly = await attemptAt(new Date(START.getTime() - (JOIN_EARLY_MINUTES * MINUTE + 30_000)));
    expect(tooEarly).toBeInstanceOf(JoinRefused);
    expect(tooEarly).toMatchObject({ reason: 'outside_window', details: { window: { startsAt: START, endsAt: END } } });
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    expect(tooEarly.userMessage).toContain(`${hhmm(START)} to ${hhmm(END)} UTC`);

    expect(await attemptAt(new Date(START.getTime() - JOIN_EARLY_MINUTES * MINUTE))).toMatchObject({ meetingUrl: expect.stringMatching(/^https:/) });
    expect(await attemptAt(END)).toMatchObject({ meetingUrl: expect.stringMatching(/^https:/) });
    // Asked for just before the end (after it, no call is ahead and the code request is a decoy).
    const tooLate = await attemptAt(new Date(END.getTime() + 30_000), new Date(END.getTime() - 1000));
    expect(tooLate).toMatchObject({ reason: 'outside_window' });
  });

  it('counts a wrong authenticator code like a wrong email code, with one message for both', async () => {
    const { askCode, appCode, join, capture } = await booked();
    const when = new Date(START.getTime() + MINUTE);
    const { challengeId } = await askCode(when);
    const emailCode = capture.lastCode()!;
    const right = appCode(when);
    const wrongApp = right === '000000' ? '111111' : '000000';
    const wrongEmail = emailCode === '000000' ? '111111' : '000000';

    const byApp = await join(challengeId, emailCode, wrongApp, when).catch((e) => e);
    const byEmail = await join(challengeId, wrongEmail, right, when).catch((e) => e);
    expect(byApp).toMatchObject({ reason: 'wrong_codes', details: { attemptsLeft: MAX_ATTEMPTS - 1 } });
    expect(byEmail).toMatchObject({ reason: 'wrong_codes', details: { attemptsLeft: MAX_ATTEMPTS - 2 } });
    expect(byApp.userMessage.replace(/\d+ tries/, 'N tries')).toBe(byEmail.userMessage.replace(/\d+ tries/, 'N tries'));
    expect(byApp.userMessage).toContain(`${MAX_ATTEMPTS - 1} tries left`);

    await join(challengeId, emailCode, wrongApp, when).catch(() => {});
    await join(challengeId, emailCode, wrongApp, when).catch(() => {});
    expect(await join(challengeId, emailCode, wrongApp, when).catch((e) => e)).toMatchObject({ reason: 'locked' });
    // Dead after five tries, even with both codes right.
    expect(await join(challengeId, emailCode, right, when).catch((e) => e)).toMatchObject({ reason: 'locked' });
    expect(await db.auditEvent.count({ where: { action: 'ticket.video_join_failed', data: { path: ['failureReason'], equals: 'wrong' } } })).toBeGreaterThanOrEqual(5);
  });

  it('counts every try per IP address too, and then refuses even right codes from it (docs/security.md 14)', async () => {
    const { askCode, appCode, join, capture } = await booked();
    const when = new Date(START.getTime() + MINUTE);
    const ip = nextIp();
    const first = await askCode(when);
    for (let i = 0; i < 30; i++) await join(first.challengeId, '000000', '000000', when, ip).catch(() => {});
    const fresh = await askCode(new Date(when.getTime() + 11 * MINUTE));
    const later = new Date(when.getTime() + 11 * MINUTE);
    await expect(join(fresh.challengeId, capture.lastCode()!, appCode(later), later, ip)).rejects.toMatchObject({ code: 'rate_limited' });
    // The limit is per address: the same codes work from elsewhere.
    expect(await join(fresh.challengeId, capture.lastCode()!, appCode(later), later, nextIp())).toMatchObject({ meetingUrl: expect.any(String) });
  });

  it('refuses a replayed email code', async () => {
    const { askCode, appCode, join, capture } = await booked();
    const when = new Date(START.getTime() + MINUTE);
    const { challengeId } = await askCode(when);
    const emailCode = capture.lastCode()!;
    await join(challengeId, emailCode, appCode(when), when);
    const later = new Date(when.getTime() + 60_000); // a fresh authenticator step: only the email code repeats
    expect(await join(challengeId, emailCode, appCode(later), later).catch((e) => e)).toMatchObject({ reason: 'used' });
  });

  it('answers an unknown reference with a decoy that sends nothing and never lets anyone in', async () => {
    const { askCode, appCode, join, capture } = await booked();
    const when = new Date(START.getTime() + MINUTE);
    const real = await askCode(when);
    const sentBefore = capture.sent.length;
    const decoy = await askCode(when, generateReference());
    expect(capture.sent.length).toBe(sentBefore);
    expect(Object.keys(decoy).sort()).toEqual(Object.keys(real).sort());
    expect(decoy.attemptsLeft).toBe(real.attemptsLeft);
    const realCode = capture.lastCode()!;
    expect(await join(decoy.challengeId, realCode, appCode(when), when).catch((e) => e)).toMatchObject({ reason: 'wrong_codes', details: { attemptsLeft: MAX_ATTEMPTS - 1 } });
  });

  it('an email code for the status page cannot join a call, and the other way round', async () => {
    const { askCode, appCode, join, capture, ticket, deps, scheduler } = await booked();
    const when = new Date(START.getTime() + MINUTE);
    const status = await requestStatusCode({ ...deps, reference: ticket.reference, email: ticket.contactEmail, ip: nextIp(), now: when });
    await scheduler.flush();
    const statusCode = capture.lastCode()!;
    expect(await join(status.challengeId, statusCode, appCode(when), when).catch((e) => e)).toMatchObject({ reason: 'expired' });
    const video = await askCode(when);
    const videoCode = capture.lastCode()!;
    expect(await verifyStatusCode({ db, hmacKey, challengeId: video.challengeId, code: videoCode, ip: nextIp(), now: when })).toEqual({ status: 'expired' });
  });
});
