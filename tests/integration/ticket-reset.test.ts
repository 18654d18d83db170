import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasAuthenticator } from '@/lib/authenticator';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import { getActiveHold } from '@/lib/holds';
import { beginAuthenticatorRebind, beginContactRebind, finishAuthenticatorRebind, finishContactRebind, getResetView } from '@/lib/recovery/resets';
import { runDueJobs } from '@/lib/jobs';
import type { Delivery } from '@/lib/delivery/types';
import { applyApprovedTicket, beginTicketCompletion, ticketResetTasks } from '@/lib/recovery/ticket-reset';
import { transitionTicket } from '@/lib/recovery/tickets';
import { createTrustedDevice, hasApproverDevice } from '@/lib/sessions/devices';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { openConfirmedTicket } from '../support/tickets';

/** Approved a day ago: the owner's cancel window (docs/security.md rule 27, 24 h by default) has passed now. */
const dayBefore = (now: Date) => new Date(now.getTime() - 24 * 3600_000);

const { db, url } = await useTestDatabase();
/** The link is issued and mailed by its job once the reset committed. */
const runJobs = (delivery: Delivery, now: Date) =>
  runDueJobs({ connectionString: url, taskList: ticketResetTasks({ db, delivery, hmacKey, appUrl: 'https://help.example.com', now: () => now }) });
const hmacKey = randomBytes(32);
const encryptionKey = randomBytes(32);
const rp = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };

describe('an approved identity-document ticket (docs/security.md rules 10-12)', () => {
  it('removes the lost factor, ends sessions, starts the hold, and its emailed link binds a new factor once', async () => {
    const user = await createUser(db);
    await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(encryptionKey, randomBytes(20), `totp:user:${user.id}`), confirmedAt: new Date() } });
    const laptop = await createTrustedDevice({ db, hmacKey, userId: user.id, name: 'Laptop' });
    const session = await db.session.create({ data: { userId: user.id, deviceId: laptop.device.id, method: 'passkey', expiresAt: new Date(Date.now() + 3600_000) } });
    const agent = await db.agent.create({ data: { email: `a-${randomBytes(3).toString('hex')}@example.com`, name: 'Agent' } });
    const { delivery, sent } = capturingDelivery();
    const now = new Date();
    const approvedAt = dayBefore(now);
    const { ticketId } = await openConfirmedTicket({ db, delivery, hmacKey, userId: user.id, contactEmail: user.email, type: 'AUTHENTICATOR_RESET', lostFactors: ['authenticator'], ip: nextIp(), now: approvedAt, schedule: (w) => void w() });
    await transitionTicket(db, { ticketId, to: 'IN_REVIEW', actor: { kind: 'agent', agentId: agent.id }, now: approvedAt });
    await transitionTicket(db, { ticketId, to: 'APPROVED', actor: { kind: 'agent', agentId: agent.id }, now: approvedAt });

    // At approval nothing changes yet: the owner's cancel window starts (docs/security.md rule 27).
    expect(await applyApprovedTicket({ db, delivery, hmacKey, appUrl: 'https://help.example.com', now: approvedAt }, { ticketId, agentId: agent.id })).toMatchObject({ removed: [], proceedsAt: now });
    expect(await hasAuthenticator({ db, owner: { userId: user.id } })).toBe(true);
    const applied = await applyApprovedTicket({ db, delivery, hmacKey, appUrl: 'https://help.example.com', now }, { ticketId, agentId: agent.id });
    expect(applied.removed).toEqual(['authenticator']);
    await runJobs(delivery, now);
    expect(await hasAuthenticator({ db, owner: { userId: user.id } })).toBe(false);
    expect(await db.session.findUniqueOrThrow({ where: { id: session.id }, select: { revokedAt: true } })).toEqual({ revokedAt: now });
    // Rule 22: the recovery leaves no device trusted, so the laptop cannot approve the next request.
    expect(await db.trustedDevice.findUniqueOrThrow({ where: { id: laptop.device.id }, select: { revokedAt: true, tokenHash: true } })).toEqual({ revokedAt: now, tokenHash: null });
    expect(await hasApproverDevice(db, user.id, now)).toBe(false);
    expect(await getActiveHold({ db, userId: user.id, now })).not.toBeNull();

    const mail = sent.find((m) => m.purpose === 'ticket-approved')!;
    const token = mail.text.match(/\/recover\/complete#([A-Za-z0-9_-]{43})/)![1]!;
    expect(mail.sensitive).toEqual([token]);

    const { resetToken } = await beginTicketCompletion({ db, hmacKey, now }, { token });
    await expect(beginTicketCompletion({ db, hmacKey, now }, { token })).rejects.toMatchObject({ code: 'conflict' });
    const deps = { db, encryptionKey, rp, delivery, now };
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'bind', lostFactor: 'authenticator' });
    const setup = await beginAuthenticatorRebind(deps, { resetToken });
    await finishAuthenticatorRebind(deps, { resetToken, authenticatorId: setup.authenticatorId, code: totp(base32Decode(setup.setupKey), { time: now }) });
    expect(await hasAuthenticator({ db, owner: { userId: user.id } })).toBe(true);
    expect((await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticketId }, select: { status: true } })).status).toBe('COMPLETED');
    const completed = await db.webhookDelivery.findFirst({ where: { event: 'recovery.completed', payload: { path: ['accountId'], equals: user.id } }, select: { payload: true } });
    expect(completed?.payload).toMatchObject({ method: 'identity_document' });
  });

  it('refuses a ticket that is not approved', async () => {
    const user = await createUser(db);
    const { delivery } = capturingDelivery();
    const agent = await db.agent.create({ data: { email: `a-${randomBytes(3).toString('hex')}@example.com`, name: 'Agent' } });
    const { ticketId } = await openConfirmedTicket({ db, delivery, hmacKey, userId: user.id, contactEmail: user.email, type: 'PASSKEY_RESET', lostFactors: ['passkey'], ip: nextIp(), now: new Date(), schedule: (w) => void w() });
    await expect(applyApprovedTicket({ db, delivery, hmacKey, appUrl: 'https://help.example.com', now: new Date() }, { ticketId, agentId: agent.id })).rejects.toMatchObject({ code: 'conflict' });
    await expect(beginTicketCompletion({ db, hmacKey, now: new Date() }, { token: 'x'.repeat(43) })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a lost phone number: the link binds a new number, proved by a code to it, and closes the ticket', async () => {
    const user = await createUser(db);
    const agent = await db.agent.create({ data: { email: `a-${randomBytes(3).toString('hex')}@example.com`, name: 'Agent' } });
    const { delivery, sent } = capturingDelivery();
    const now = new Date();
    const approvedAt = dayBefore(now);
    const { ticketId } = await openConfirmedTicket({ db, delivery, hmacKey, userId: user.id, contactEmail: user.email, type: 'PHONE_CHANGE', lostFactors: ['phone'], ip: nextIp(), now: approvedAt, schedule: (w) => void w() });
    await transitionTicket(db, { ticketId, to: 'IN_REVIEW', actor: { kind: 'agent', agentId: agent.id }, now: approvedAt });
    await transitionTicket(db, { ticketId, to: 'APPROVED', actor: { kind: 'agent', agentId: agent.id }, now: approvedAt });
    // A contact change waits out the owner's cancel window (docs/security.md rule 27): no link before it.
    await applyApprovedTicket({ db, delivery, hmacKey, appUrl: 'https://help.example.com', now: approvedAt }, { ticketId, agentId: agent.id });
    expect(sent.some((m) => m.purpose === 'ticket-approved')).toBe(false);
    expect((await applyApprovedTicket({ db, delivery, hmacKey, appUrl: 'https://help.example.com', now }, { ticketId, agentId: agent.id })).removed).toEqual([]);
    await runJobs(delivery, now);

    const token = sent.find((m) => m.purpose === 'ticket-approved')!.text.match(/\/recover\/complete#([A-Za-z0-9_-]{43})/)![1]!;
    const { resetToken } = await beginTicketCompletion({ db, hmacKey, now }, { token });
    const deps = { db, hmacKey, encryptionKey, rp, delivery, now };
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'bind', lostFactor: 'phone' });
    const fresh = `+4477009${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
    await beginContactRebind(deps, { resetToken, value: fresh });
    const code = sent.filter((m) => m.to === fresh).at(-1)!.sensitive![0]!;
    await finishContactRebind(deps, { resetToken, code });
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).phone).toBe(fresh);
    expect((await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticketId }, select: { status: true } })).status).toBe('COMPLETED');
  });
});
