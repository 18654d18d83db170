/**
 * Mail about an identity-document recovery request (docs/product.md C). The same rules as the code
 * and notice mail: plain words, times in UTC, and no link or button, because a genuine "click here
 * about your account recovery" mail is exactly what a phishing copy imitates. The person is told in
 * words where to go ("type the address you always use").
 *
 * The single exception is ticketApprovedEmail: after an agent approved the request, the person has
 * to open a link to bind a new factor (docs/security.md rule 10: the approved ticket is the proof),
 * and there is nothing to type instead of it. That mail says what the link sets up, that it works in
 * one browser until the new method is set up, when it dies, which address it starts with, and that
 * it never signs anyone in.
 */
import { hours, utcDateTime } from './format';
import { PRODUCT, STYLE, emailLayout, escapeHtml, para, section, small, wasntYouBox } from './layout';

export type TicketEmail = { subject: string; text: string; html: string };

export const WHERE_STATUS =
  `Open the ${PRODUCT} help center by typing the address you always use into your browser, choose “Can't sign in?”, then “Check a recovery request”, and enter your reference and this email address.`;
export const NEVER_ASK = `Nobody from ${PRODUCT} Support will ever ask for your password or your codes: not by phone, chat or email.`;

/** "RG-7K4M-2Q9X" was received: the reference, what happens next and how to follow it. */
export function ticketReceivedEmail(options: { reference: string; receivedAt: Date; reviewWithinHours: number }): TicketEmail {
  const { reference, receivedAt, reviewWithinHours } = options;
  const subject = `We received your ${PRODUCT} recovery request`;
  const intro = `We received your account recovery request on ${utcDateTime(receivedAt)}.`;
  const next = `A member of our security team will review it, usually within ${hours(reviewWithinHours)}. We'll email you when we need something from you or when it's decided.`;
  const keep = 'Keep this reference: you need it to check the request or to answer our questions.';
  const notYou = `If you didn't ask to recover a ${PRODUCT} account, someone may have typed your address by mistake. Nothing changes on any account unless our team has checked the person's identity documents. You can ignore this email.`;
  const text = [
    `${PRODUCT}: recovery request received`,
    '',
    intro,
    '',
    'Your reference:',
    '',
    `    ${reference}`,
    '',
    keep,
    '',
    next,
    '',
    'To see where it is:',
    `- ${WHERE_STATUS}`,
    '',
    "Wasn't you?",
    `- ${notYou}`,
    `- ${NEVER_ASK}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');
  const html = ticketEmailHtml({
    subject,
    preheader: `Your reference is ${reference}. Keep it to check your request.`,
    heading: 'We received your recovery request',
    body: [para(intro), para('Your reference:'), referenceBox(reference), para(keep), para(next), small(WHERE_STATUS)].join('\n'),
    warning: [notYou, NEVER_ASK],
  });
  return { subject, text, html };
}

/**
 * An agent asked for more information. The question itself stays out of the mail: it is read on the
 * status page after the email code, so a forwarded or leaked mail reveals nothing of the case, and
 * words typed by an agent account never arrive in an inbox dressed as a Regain message.
 */
export function ticketInfoRequestEmail(options: { reference: string }): TicketEmail {
  const { reference } = options;
  const subject = `We need more information for your ${PRODUCT} recovery request`;
  const intro = `To continue with your recovery request ${reference}, our security team needs something more from you.`;
  const how = `To read the request and answer it, ${WHERE_STATUS.charAt(0).toLowerCase()}${WHERE_STATUS.slice(1)}`;
  const wait = "The review waits for your answer. If you no longer need the request, you don't have to do anything.";
  const notYou = `If you didn't ask to recover a ${PRODUCT} account, ignore this email. Nothing changes unless our team has checked the person's identity documents.`;
  const text = [
    `${PRODUCT}: more information needed`,
    '',
    intro,
    '',
    how,
    '',
    wait,
    '',
    "Wasn't you?",
    `- ${notYou}`,
    `- ${NEVER_ASK}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');
  const html = ticketEmailHtml({
    subject,
    preheader: `Our security team needs something more for request ${reference}.`,
    heading: 'We need more information',
    body: [para(intro), para(how), small(wait)].join('\n'),
    warning: [notYou, NEVER_ASK],
  });
  return { subject, text, html };
}

const NEW_METHOD = { passkey: 'a new passkey', authenticator: 'a new authenticator app', phone: 'your new phone number', email: 'your new email address' } as const;

/**
 * The request was approved: the link that lets the person bind a new passkey, authenticator app,
 * phone number or email address (the one the ticket records as lost). The only ticket mail with a
 * link (see above). The link is printed in full, never hidden behind a button label, so the person
 * can check where it goes.
 */
export function ticketApprovedEmail(options: { reference: string; resetUrl: string; expiresAt: Date; setUp?: keyof typeof NEW_METHOD | undefined }): TicketEmail {
  const { reference, resetUrl, expiresAt } = options;
  const host = new URL(resetUrl).host;
  const subject = `Your ${PRODUCT} recovery request was approved`;
  const intro = `Your recovery request ${reference} was approved. You can now set up a new way to sign in.`;
  const open = `Open this link to set up ${options.setUp ? NEW_METHOD[options.setUp] : 'a new passkey or authenticator app'}:`;
  const rules =
    `The link works in one browser: the first one you press Continue in. If you close the page before you finish, open the link again in that browser. ` +
    `Once your new method is set up the link stops working, and it expires on ${utcDateTime(expiresAt)}. It doesn't sign you in: after setting up the new method, you sign in with it yourself.`;
  const check = `Check the link starts with https://${host}/ before you open it. Never share it: anyone with it could set up their own sign-in method on your account.`;
  const hold = 'For your protection, withdrawals and P2P trading are paused for 24 hours after the recovery is completed.';
  const notYou = `If you didn't ask to recover your ${PRODUCT} account, don't open the link. Contact ${PRODUCT} Support from the help center at the address you always use.`;
  const text = [
    `${PRODUCT}: recovery request approved`,
    '',
    intro,
    '',
    open,
    '',
    resetUrl,
    '',
    rules,
    '',
    check,
    '',
    hold,
    '',
    "Wasn't you?",
    `- ${notYou}`,
    `- ${NEVER_ASK}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');
  const href = escapeHtml(resetUrl);
  const html = ticketEmailHtml({
    subject,
    preheader: 'Set up a new way to sign in. The link works in one browser.',
    heading: 'Your recovery request was approved',
    body: [
      para(intro),
      para(open),
      `<p style="margin:0 0 16px;padding:16px;background-color:#f3f4f6;border-radius:8px;font-family:${STYLE.mono};font-size:14px;line-height:21px;word-break:break-all;"><a href="${href}" style="color:#1d4ed8;">${href}</a></p>`,
      para(rules),
      small(check),
      small(hold),
    ].join('\n'),
    warning: [notYou, NEVER_ASK],
  });
  return { subject, text, html };
}

/**
 * The request was not approved ("reject with a reason", docs/product.md D). The explanation is one
 * of the fixed sentences the console offers (lib/recovery/console REJECTION_REASONS), never words
 * typed by an agent, for the reason given for ticketInfoRequestEmail. No link: the next step is said
 * in words.
 */
export function ticketRejectedEmail(options: { reference: string; explanation: string }): TicketEmail {
  const { reference, explanation } = options;
  const subject = `Your ${PRODUCT} recovery request was not approved`;
  const intro = `We reviewed your recovery request ${reference} and could not approve it.`;
  const nothing = 'Nothing on the account was changed: no sign-in method was removed or added.';
  const next = `If you still need to recover your account, you can start a new request with clear photos of a valid identity document: open the ${PRODUCT} help center by typing the address you always use into your browser, then choose “Can't sign in?”.`;
  const notYou = `If you didn't ask to recover a ${PRODUCT} account, you don't need to do anything. Someone may have typed your address by mistake, and nothing was changed.`;
  const text = [
    `${PRODUCT}: recovery request not approved`,
    '',
    intro,
    '',
    `Why: ${explanation}`,
    '',
    nothing,
    '',
    next,
    '',
    "Wasn't you?",
    `- ${notYou}`,
    `- ${NEVER_ASK}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');
  const html = ticketEmailHtml({
    subject,
    preheader: `Request ${reference} was not approved. Nothing on the account was changed.`,
    heading: 'Your recovery request was not approved',
    body: [para(intro), para(`Why: ${explanation}`), para(nothing), small(next)].join('\n'),
    warning: [notYou, NEVER_ASK],
  });
  return { subject, text, html };
}

const referenceBox = (reference: string) =>
  `<p style="margin:0 0 16px;padding:16px;background-color:#f3f4f6;border-radius:8px;text-align:center;font-family:${STYLE.mono};font-size:26px;line-height:32px;font-weight:700;letter-spacing:0.1em;color:#111827;-webkit-user-select:all;user-select:all;">${escapeHtml(reference)}</p>`;

/** Ticket and appointment mail: a body, then the "Wasn't you?" box, in the shared layout. */
export function ticketEmailHtml(options: { subject: string; preheader: string; heading: string; body: string; warning: string[] }) {
  const { subject, preheader, heading, body, warning } = options;
  return emailLayout({
    subject,
    preheader,
    heading,
    intro: `${body}\n`,
    sections: [section('8px 28px 24px', wasntYouBox(warning))],
  });
}
