import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasAuthenticator } from '@/lib/authenticator';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import type { Delivery } from '@/lib/delivery/types';
import { runDueJobs } from '@/lib/jobs';
import { beginAuthenticatorRebind, beginContactRebind, finishAuthenticatorRebind, getResetView, RESET_TTL_SECONDS } from '@/lib/recovery/resets';
import { applyApprovedTicket, beginTicketCompletion, describeTicketCompletion, ticketResetTasks } from '@/lib/recovery/ticket-reset';
import { RESET_TOKEN_TTL_HOURS, transitionTicket } from '@/lib/recovery/tickets';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { openConfirmedTicket } from '../support/tickets';

/**
 * The emailed link after an approval, from the attacker's side (docs/recovery-policy.md, "The approval
 * link"): it works in the one browser that first pressed Continue, survives a closed tab there
 * until the new factor is bound, and is refused everywhere else, after binding, and after expiry.
 */

const { db, url } = await useTestDatabase();
const hmacKey = randomBytes(32);
const encryptionKey = randomBytes(32);
const rp = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };
const APP_URL = 'https://help.example.com';
const HOUR = 3_600_000;

/** An approved ticket whose cancel window has passed and whose link went out; returns the mailed token. */
async function mailedLink(lost: 'authenticator' | 'email' = 'authenticator', contactEmail?: string) {
  const user = await createUser(db);
  await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(encryptionKey, randomBytes(20), `totp:user:${user.id}`), confirmedAt: new Date() } });
  const agent = await db.agent.create({ data: { email: `a-${randomBytes(3).toString('hex')}@example.com`, name: 'Agent' } });
  const { delivery, sent } = capturingDelivery();
  const now = new Date();
  const approvedAt = new Date(now.getTime() - 24 * HOUR);
  const { ticketId } = await openConfirmedTicket({
    db,
    delivery,
    hmacKey,
    userId: user.id,
    contactEmail: contactEmail ?? user.email,
    type: lost === 'email' ? 'EMAIL_CHANGE' : 'AUTHENTICATOR_RESET',
    lostFactors: [lost],
    ip: nextIp(),
    now: approvedAt,
    schedule: (w) => void w(),
  });
  await transitionTicket(db, { ticketId, to: 'IN_REVIEW', actor: { kind: 'agent', agentId: agent.id }, now: approvedAt });
  await transitionTicket(db, { ticketId, to: 'APPROVED', actor: { kind: 'agent', agentId: agent.id }, now: approvedAt });
  await applyApprovedTicket({ db, delivery, hmacKey, appUrl: APP_URL, now: approvedAt }, { ticketId, agentId: agent.id });
  await applyApprovedTicket({ db, delivery, hmacKey, appUrl: APP_URL, now }, { ticketId, agentId: agent.id });
  await runJobs(delivery, now);
  const mail = sent.find((m) => m.purpose === 'ticket-approved' && m.to === (contactEmail ?? user.email))!;
  const token = mail.text.match(/\/recover\/complete#([A-Za-z0-9_-]{43})/)![1]!;
  return { user, ticketId, token, now, delivery, sent, mail };
}

const runJobs = (delivery: Delivery, now: Date) =>
  runDueJobs({ connectionString: url, taskList: ticketResetTasks({ db, delivery, hmacKey, appUrl: APP_URL, now: () => now }) });

const later = (now: Date, ms: number) => new Date(now.getTime() + ms);

async function bindAuthenticator(deps: { now: Date; delivery: Delivery }, resetToken: string) {
  const full = { db, encryptionKey, rp, ...deps };
  const setup = await beginAuthenticatorRebind(full, { resetToken });
  return finishAuthenticatorRebind(full, { resetToken, authenticatorId: setup.authenticatorId, code: totp(base32Decode(setup.setupKey), { time: deps.now }) });
}

describe('the approval link, against someone else holding it', () => {
  it('names what it sets up; the mail says so and that it works in one browser', async () => {
    const { token, now, mail } = await mailedLink('authenticator');
    expect(mail.text).toContain('Open this link to set up a new authenticator app');
    expect(mail.text).toMatch(/works in one browser/);
    expect(await describeTicketCompletion({ db, hmacKey, now }, { token })).toMatchObject({ state: 'ready', lostFactor: 'authenticator', suggestedEmail: undefined });
  });

  it('a second browser with the link is refused, told why, and audited; the first browser carries on', async () => {
    const { token, ticketId, now, delivery } = await mailedLink();
    const owner = await beginTicketCompletion({ db, hmacKey, now }, { token, ip: nextIp() });
    expect(owner.resumed).toBe(false);

    // The attacker's browser: no cookie, or a cookie of its own.
    const attackerIp = nextIp();
    for (const browserKey of [undefined, randomBytes(32).toString('base64url'), 'not-a-key']) {
      await expect(beginTicketCompletion({ db, hmacKey, now: later(now, 60_000) }, { token, browserKey, ip: attackerIp })).rejects.toMatchObject({
        code: 'conflict',
        userMessage: expect.stringContaining('already in use in another browser'),
      });
      expect(await describeTicketCompletion({ db, hmacKey, now: later(now, 60_000) }, { token, browserKey })).toMatchObject({ state: 'refused', reason: 'other_browser' });
    }
    const refusals = await db.auditEvent.findMany({ where: { action: 'ticket.reset_link_refused', subjectId: ticketId }, select: { ip: true, data: true } });
    expect(refusals).toHaveLength(3);
    expect(refusals.every((r) => r.ip === attackerIp)).toBe(true);
    expect(JSON.stringify(refusals)).not.toContain(token);

    // The attacker got no reset; the owner's still binds.
    expect(await db.recoveryReset.count({ where: { challengeId: ticketId } })).toBe(1);
    await bindAuthenticator({ now: later(now, 120_000), delivery }, owner.resetToken);
    expect((await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticketId }, select: { status: true } })).status).toBe('COMPLETED');
  });

  it('after the new factor is bound the link is spent: refused in the same browser and any other', async () => {
    const { token, user, ticketId, now, delivery } = await mailedLink();
    const owner = await beginTicketCompletion({ db, hmacKey, now }, { token });
    await bindAuthenticator({ now, delivery }, owner.resetToken);
    expect(await hasAuthenticator({ db, owner: { userId: user.id } })).toBe(true);
    const soon = later(now, 60_000);
    for (const browserKey of [owner.browserKey, undefined]) {
      await expect(beginTicketCompletion({ db, hmacKey, now: soon }, { token, browserKey })).rejects.toMatchObject({ code: 'conflict', userMessage: expect.stringContaining('already used') });
      expect(await describeTicketCompletion({ db, hmacKey, now: soon }, { token, browserKey })).toMatchObject({ state: 'refused', reason: 'used' });
    }
    // Spent: no expiry left on the link, and the ticket is closed.
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticketId }, select: { status: true, resetTokenExpiresAt: true } })).toEqual({ status: 'COMPLETED', resetTokenExpiresAt: null });
    // The completed reset cannot be driven again either.
    await expect(bindAuthenticator({ now: soon, delivery }, owner.resetToken)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('the owner who closed the tab before binding picks it up again in the same browser, even after the reset itself ran out', async () => {
    const { token, user, ticketId, now, delivery } = await mailedLink();
    const first = await beginTicketCompletion({ db, hmacKey, now }, { token });
    // Began setting up, then closed the tab. An hour later (the reset's own 30 minutes are over):
    await beginAuthenticatorRebind({ db, encryptionKey, rp, delivery, now }, { resetToken: first.resetToken });
    const back = later(now, HOUR);
    expect(back.getTime() - now.getTime()).toBeGreaterThan(RESET_TTL_SECONDS * 1000);
    expect(await getResetView({ db, now: back }, first.resetToken)).toBeUndefined();
    expect(await describeTicketCompletion({ db, hmacKey, now: back }, { token, browserKey: first.browserKey })).toMatchObject({ state: 'resumable', lostFactor: 'authenticator' });

    const resumed = await beginTicketCompletion({ db, hmacKey, now: back }, { token, browserKey: first.browserKey });
    expect(resumed).toMatchObject({ resumed: true, browserKey: first.browserKey });
    expect(resumed.resetToken).not.toBe(first.resetToken);
    // Still one reset for the ticket; only the newest reset key drives it.
    expect(await db.recoveryReset.count({ where: { challengeId: ticketId } })).toBe(1);
    expect(await getResetView({ db, now: back }, resumed.resetToken)).toMatchObject({ step: 'bind', lostFactor: 'authenticator' });
    expect(await getResetView({ db, now: back }, first.resetToken)).toBeUndefined();
    await bindAuthenticator({ now: back, delivery }, resumed.resetToken);
    expect(await hasAuthenticator({ db, owner: { userId: user.id } })).toBe(true);
    expect(await db.auditEvent.count({ where: { action: 'ticket.reset_link_resumed', subjectId: ticketId } })).toBe(1);
  });

  it('an expired link is refused, in its own browser too', async () => {
    const { token, now } = await mailedLink();
    const owner = await beginTicketCompletion({ db, hmacKey, now }, { token });
    const expired = later(now, RESET_TOKEN_TTL_HOURS * HOUR);
    for (const browserKey of [owner.browserKey, undefined]) {
      await expect(beginTicketCompletion({ db, hmacKey, now: expired }, { token, browserKey })).rejects.toMatchObject({ code: 'conflict', userMessage: expect.stringContaining('expired') });
      expect(await describeTicketCompletion({ db, hmacKey, now: expired }, { token, browserKey })).toMatchObject({ state: 'refused', reason: 'expired' });
    }
    // A reset picked up shortly before the link's end lasts no longer than the link.
    const resumed = await beginTicketCompletion({ db, hmacKey, now: later(expired, -60_000) }, { token, browserKey: owner.browserKey });
    expect(await getResetView({ db, now: expired }, resumed.resetToken)).toBeUndefined();
  });

  it('a lost email: the page names it and offers the address typed on the ticket; a resumed reset keeps the code already sent', async () => {
    const contact = `new-${randomBytes(4).toString('hex')}@example.com`;
    const { token, now, delivery } = await mailedLink('email', contact);
    expect(await describeTicketCompletion({ db, hmacKey, now }, { token })).toMatchObject({ state: 'ready', lostFactor: 'email', suggestedEmail: contact });
    const first = await beginTicketCompletion({ db, hmacKey, now }, { token });
    const deps = { db, hmacKey, encryptionKey, rp, delivery, now };
    expect(await getResetView(deps, first.resetToken)).toMatchObject({ step: 'bind', lostFactor: 'email', suggestedContact: contact, codeSentTo: undefined });
    await beginContactRebind(deps, { resetToken: first.resetToken, value: contact });
    const resumed = await beginTicketCompletion({ db, hmacKey, now: later(now, HOUR) }, { token, browserKey: first.browserKey });
    expect(await getResetView({ ...deps, now: later(now, HOUR) }, resumed.resetToken)).toMatchObject({ step: 'bind', codeSentTo: expect.stringContaining('@example.com') });
  });
});
