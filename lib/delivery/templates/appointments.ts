/** Mail about a video-call appointment on a recovery ticket (docs/product.md C). No link, as for tickets. */
import { minutes, utcWindow } from './format';
import { PRODUCT, escapeHtml, para, small } from './layout';
import { NEVER_ASK, ticketEmailHtml, type TicketEmail } from './tickets';

export { utcWindow };

/** A video call was booked: the window in UTC and how to join on the day. */
export function appointmentScheduledEmail(options: { reference: string; startsAt: Date; endsAt: Date; earlyMinutes: number }): TicketEmail {
  const { reference, startsAt, endsAt, earlyMinutes } = options;
  const subject = `Your ${PRODUCT} video call is booked`;
  const window = utcWindow(startsAt, endsAt);
  const intro = `A member of our security team will meet you by video call about your recovery request ${reference}.`;
  const when = `When: ${window}`;
  const how = `To join: open the ${PRODUCT} help center by typing the address you always use, go to “Self-service tools”, then “Join video call appointment”. Enter your reference; we'll email you a code, and you also need a code from your authenticator app. Joining opens ${minutes(earlyMinutes)} before the start.`;
  const bring = 'Have the identity document you uploaded with you, in a quiet place with good light.';
  const notYou = `If you didn't ask to recover a ${PRODUCT} account, ignore this email and don't join. Nobody can join the call without the codes.`;
  const text = [
    `${PRODUCT}: video call booked`,
    '',
    intro,
    '',
    when,
    '',
    how,
    '',
    bring,
    '',
    "Wasn't you?",
    `- ${notYou}`,
    `- ${NEVER_ASK}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');
  const html = ticketEmailHtml({
    subject,
    preheader: `${window}.`,
    heading: 'Your video call is booked',
    body: [
      para(intro),
      `<p style="margin:0 0 16px;padding:16px;background-color:#f3f4f6;border-radius:8px;font-size:17px;line-height:26px;font-weight:700;color:#111827;">${escapeHtml(window)}</p>`,
      para(how),
      small(bring),
    ].join('\n'),
    warning: [notYou, NEVER_ASK],
  });
  return { subject, text, html };
}
