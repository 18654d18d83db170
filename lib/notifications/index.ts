import type { Db } from '@/lib/db/client';
import { DeliveryError, type Delivery } from '@/lib/delivery';
import {
  securityNoticeEmail,
  securityNoticeSms,
  type SecurityChange,
  type SecurityNoticeContext,
} from '@/lib/delivery/templates';
import { log } from '@/lib/log';

export { SECURITY_CHANGES, type SecurityChange, type SecurityNoticeContext } from '@/lib/delivery/templates';

/**
 * Security-change notices (product.md B: "Every change to a factor, contact or device notifies the
 * user on every verified channel"; security.md rule 11 for resets). The notice is the real owner's
 * early warning that someone else is in the account, so it goes to every channel we have proved
 * reaches them, and a broken channel never silences the other one.
 */

export type NoticeChannel = 'email' | 'sms';
export type SecurityNoticeResult = { sent: NoticeChannel[]; failed: NoticeChannel[] };

export const SECURITY_NOTICE_PURPOSE = 'security-notice';

/** Anything that can read a user: the client itself or an interactive transaction. */
type UserReader = Pick<Db, 'user'>;

export async function notifySecurityChange({
  db,
  delivery,
  userId,
  change,
  now,
  context,
  previousContact,
}: {
  db: UserReader;
  delivery: Delivery;
  userId: string;
  change: SecurityChange;
  /** When the change happened; shown to the user in UTC. */
  now: Date;
  context?: SecurityNoticeContext | undefined;
  /** A phone number or email address just replaced: it was verified, and its owner hears of it too. */
  previousContact?: { channel: NoticeChannel; to: string } | undefined;
}): Promise<SecurityNoticeResult> {
  // architecture.md 6: only the contact fields, never the password hash or anything else.
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { email: true, emailVerifiedAt: true, phone: true, phoneVerifiedAt: true },
  });
  if (!user) {
    log.warn('security_notice_no_user', { userId, change });
    return { sent: [], failed: [] };
  }

  const toEmail = (to: string) => {
    const email = securityNoticeEmail({ change, at: now, context });
    return { channel: 'email' as const, send: () => delivery.send({ channel: 'email', to, purpose: SECURITY_NOTICE_PURPOSE, subject: email.subject, text: email.text, html: email.html }) };
  };
  const toPhone = (to: string) => {
    const sms = securityNoticeSms({ change, at: now, context });
    return { channel: 'sms' as const, send: () => delivery.send({ channel: 'sms', to, purpose: SECURITY_NOTICE_PURPOSE, text: sms.text }) };
  };
  // Rule 5 and the product rule say "verified": an unverified address may belong to someone else
  // (a typo, or an attacker who just added it), and telling them about the account leaks it.
  const sends: { channel: NoticeChannel; send: () => Promise<unknown> }[] = [];
  if (user.emailVerifiedAt) sends.push(toEmail(user.email));
  if (user.phone && user.phoneVerifiedAt) sends.push(toPhone(user.phone));
  if (previousContact && previousContact.to !== (previousContact.channel === 'email' ? user.email : user.phone)) {
    sends.push(previousContact.channel === 'email' ? toEmail(previousContact.to) : toPhone(previousContact.to));
  }

  // Side by side, each caught on its own: a slow or failing SMS provider must neither delay nor
  // cancel the email (and the other way round).
  const outcomes = await Promise.all(
    sends.map(async ({ channel, send }) => {
      try {
        await send();
        return { channel, ok: true };
      } catch (error) {
        // Facts only: no destination and no body (security.md rule 1; lib/log). Delivery already
        // logged the provider's detail for its own failures.
        log.warn('security_notice_failed', {
          userId,
          change,
          channel,
          failure: error instanceof DeliveryError ? error.failure : 'unexpected',
          errorName: error instanceof Error ? error.name : typeof error,
        });
        return { channel, ok: false };
      }
    }),
  );

  const result: SecurityNoticeResult = {
    sent: outcomes.filter((o) => o.ok).map((o) => o.channel),
    failed: outcomes.filter((o) => !o.ok).map((o) => o.channel),
  };
  if (result.sent.length === 0 && result.failed.length === 0) {
    log.warn('security_notice_no_channel', { userId, change });
  } else {
    log.info('security_notice', { userId, change, sent: result.sent, failed: result.failed });
  }
  return result;
}
