import { DeliveryError, type Delivery } from '@/lib/delivery';
import {
  securityNoticeEmail,
  securityNoticeSms,
  type SecurityChange,
  type SecurityNoticeContext,
} from '@/lib/delivery/templates';
import type { JobDb } from '@/lib/jobs';
import { log } from '@/lib/log';

export { SECURITY_CHANGES, type SecurityChange, type SecurityNoticeContext } from '@/lib/delivery/templates';

/**
 * Security-change notices (docs/product.md B: "Every change to a factor, contact or device notifies the
 * user on every verified channel"; docs/security.md rule 11 for resets). The notice is the real owner's
 * early warning that someone else is in the account, so it goes to every channel we have proved
 * reaches them, and a broken channel never silences the other one.
 *
 * Notices are queued (lib/delivery): given the use case's transaction as `db`, they commit with the
 * change they report and are never sent for a change that rolled back (docs/security.md rule 28);
 * the worker then sends them and retries a provider that is down.
 */

export type NoticeChannel = 'email' | 'sms';
/**
 * `queued`: the notice is on its way on these channels (written to the message queue; the worker
 * sends it and retries). `failed`: it could not even be queued (outside a transaction only).
 */
export type SecurityNoticeResult = { queued: NoticeChannel[]; failed: NoticeChannel[] };

export const SECURITY_NOTICE_PURPOSE = 'security-notice';


export async function notifySecurityChange({
  db,
  delivery,
  userId,
  change,
  now,
  context,
  previousContact,
}: {
  /** The client, or the use case's interactive transaction: the notices are queued in it. */
  db: JobDb;
  delivery: Delivery;
  userId: string;
  change: SecurityChange;
  /** When the change happened; shown to the user in UTC. */
  now: Date;
  context?: SecurityNoticeContext | undefined;
  /** A phone number or email address just replaced: it was verified, and its owner hears of it too. */
  previousContact?: { channel: NoticeChannel; to: string } | undefined;
}): Promise<SecurityNoticeResult> {
  // docs/architecture.md 6: only the contact fields, never the password hash or anything else.
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { email: true, emailVerifiedAt: true, phone: true, phoneVerifiedAt: true },
  });
  if (!user) {
    log.warn('security_notice_no_user', { userId, change });
    return { queued: [], failed: [] };
  }

  const toEmail = (to: string) => {
    const email = securityNoticeEmail({ change, at: now, context });
    return { channel: 'email' as const, send: () => delivery.send({ channel: 'email', to, purpose: SECURITY_NOTICE_PURPOSE, subject: email.subject, text: email.text, html: email.html }, { db }) };
  };
  const toPhone = (to: string) => {
    const sms = securityNoticeSms({ change, at: now, context });
    return { channel: 'sms' as const, send: () => delivery.send({ channel: 'sms', to, purpose: SECURITY_NOTICE_PURPOSE, text: sms.text }, { db }) };
  };
  // Rule 5 and the product rule say "verified": an unverified address may belong to someone else
  // (a typo, or an attacker who just added it), and telling them about the account leaks it.
  const sends: { channel: NoticeChannel; send: () => Promise<unknown> }[] = [];
  if (user.emailVerifiedAt) sends.push(toEmail(user.email));
  if (user.phone && user.phoneVerifiedAt) sends.push(toPhone(user.phone));
  if (previousContact && previousContact.to !== (previousContact.channel === 'email' ? user.email : user.phone)) {
    sends.push(previousContact.channel === 'email' ? toEmail(previousContact.to) : toPhone(previousContact.to));
  }

  // One after the other (a transaction runs one statement at a time), each caught on its own outside
  // a transaction: a channel that cannot be queued must not cancel the other one. Inside the caller's
  // transaction a failed statement has already aborted it, so the error goes to the caller, whose
  // change rolls back with the notices.
  // Prisma's transaction client has no $connect (it does have a $transaction, for nesting).
  const inTransaction = typeof (db as { $connect?: unknown }).$connect !== 'function';
  const outcomes: { channel: NoticeChannel; ok: boolean }[] = [];
  for (const { channel, send } of sends) {
    try {
      await send();
      outcomes.push({ channel, ok: true });
    } catch (error) {
      if (inTransaction) throw error;
      // Facts only: no destination and no body (docs/security.md rule 1; lib/log).
      log.warn('security_notice_failed', {
        userId,
        change,
        channel,
        failure: error instanceof DeliveryError ? error.failure : 'unexpected',
        errorName: error instanceof Error ? error.name : typeof error,
      });
      outcomes.push({ channel, ok: false });
    }
  }

  const result: SecurityNoticeResult = {
    queued: outcomes.filter((o) => o.ok).map((o) => o.channel),
    failed: outcomes.filter((o) => !o.ok).map((o) => o.channel),
  };
  if (result.queued.length === 0 && result.failed.length === 0) {
    log.warn('security_notice_no_channel', { userId, change });
  } else {
    log.info('security_notice', { userId, change, queued: result.queued, failed: result.failed });
  }
  return result;
}
