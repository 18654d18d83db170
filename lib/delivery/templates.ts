/**
 * The words of every one-time-code message. They read like a careful exchange's security mail:
 * what the code is for, when it dies, and that nobody from Support will ever ask for it.
 *
 * No message carries a link or a button. A code message that asks people to click is exactly what
 * phishing copies; "secure your account" is said in words ("open the app or type the address you
 * always use"), never as a link.
 */

const PRODUCT = 'Regain';

export type CodeEmail = { subject: string; text: string; html: string };

export function codeEmail(options: {
  code: string;
  /** What the code confirms, as a phrase that fits "to confirm …", e.g. "your account recovery". */
  purposeLabel: string;
  expiresInMinutes: number;
  /** Where the request came from, as a person would say it, e.g. "Firefox on Windows, near Lyon, France". */
  requestedFrom?: string | undefined;
}): CodeEmail {
  const { code, purposeLabel, expiresInMinutes, requestedFrom } = options;
  const expires = minutes(expiresInMinutes);
  // The code stays out of the subject: lock screens and inbox lists show subjects to anyone nearby.
  const subject = `Your ${PRODUCT} verification code`;

  const text = [
    `Your ${PRODUCT} verification code`,
    '',
    `Use this code to confirm ${purposeLabel}:`,
    '',
    `    ${code}`,
    '',
    `It expires in ${expires} and works only once.`,
    ...(requestedFrom ? ['', `Requested from: ${requestedFrom}`] : []),
    '',
    "Wasn't you?",
    "- Don't share this code with anyone.",
    `- Nobody from ${PRODUCT} Support will ever ask for it: not by phone, chat or email.`,
    `- Secure your account: open the ${PRODUCT} app or type the address you always use into your browser, then change your password and review your devices. Don't use links from messages you didn't expect.`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');

  const p = 'margin:0 0 16px;font-size:16px;line-height:24px;color:#1f2937;';
  const small = 'margin:0 0 8px;font-size:14px;line-height:21px;color:#374151;';
  const html = emailFrame({
    subject,
    preheader: `Your code expires in ${expires}. Never share it.`,
    heading: 'Your verification code',
    rows: `<p style="${p}">Use this code to confirm ${escapeHtml(purposeLabel)}:</p>
<p style="margin:0 0 16px;padding:16px;background-color:#f3f4f6;border-radius:8px;text-align:center;font-family:'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace;font-size:34px;line-height:40px;font-weight:700;letter-spacing:0.2em;color:#111827;-webkit-user-select:all;user-select:all;">${escapeHtml(code)}</p>
<p style="${p}">It expires in <strong>${escapeHtml(expires)}</strong> and works only once.</p>
${requestedFrom ? `<p style="${small}"><strong>Requested from:</strong> ${escapeHtml(requestedFrom)}</p>` : ''}
</td></tr>
<tr><td class="pad" style="padding:8px 28px 24px;">
<div style="padding:16px;border:1px solid #fcd34d;background-color:#fffbeb;border-radius:8px;">
<h2 style="margin:0 0 8px;font-size:16px;line-height:24px;font-weight:700;color:#92400e;">Wasn&#39;t you?</h2>
<p style="${small}">Don&#39;t share this code with anyone. Nobody from ${PRODUCT} Support will ever ask for it: not by phone, chat or email.</p>
<p style="margin:0;font-size:14px;line-height:21px;color:#374151;">Secure your account: open the ${PRODUCT} app or type the address you always use into your browser, then change your password and review your devices. Don&#39;t use links from messages you didn&#39;t expect.</p>
</div>
</td></tr>
`,
  });
  return { subject, text, html };
}

/**
 * Plain ASCII on purpose: one character outside GSM-7 (a typographic dash or quote) switches the
 * whole SMS to UCS-2, where a segment holds 70 characters instead of 160.
 */
export function codeSms(options: { code: string; expiresInMinutes: number }): { text: string } {
  return {
    text: `${PRODUCT} verification code: ${options.code}. Expires in ${minutes(options.expiresInMinutes)}. Never share this code; ${PRODUCT} Support will never ask for it.`,
  };
}

/**
 * A call reads the code digit by digit, then again, with pauses, because people write it down
 * while listening. Voicemail may pick up, so the first pause lets the greeting finish.
 */
export function codeVoice(options: { code: string }): { text: string; twiml: string } {
  const spoken = [...options.code].join(', ');
  const intro = `Hello. This is ${PRODUCT} with your verification code.`;
  const first = `Your code is: ${spoken}.`;
  const again = `Again, your code is: ${spoken}.`;
  const outro = `Never share this code. ${PRODUCT} Support will never ask for it. Goodbye.`;
  const say = (words: string) => `<Say language="en-US">${escapeXml(words)}</Say>`;
  const twiml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Response><Pause length="1"/>${say(intro)}<Pause length="1"/>${say(first)}<Pause length="2"/>${say(again)}<Pause length="1"/>${say(outro)}</Response>`;
  return { text: [intro, first, again, outro].join(' '), twiml };
}

/** The TwiML for a call whose words were given as plain text. */
export function twimlFromText(text: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US">${escapeXml(text)}</Say></Response>`;
}

function minutes(n: number) {
  return n === 1 ? '1 minute' : `${n} minutes`;
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function escapeHtml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&quot;' })[c]!);
}

/**
 * The frame every security mail shares (codes, notices, tickets): the product name and heading on
 * top, then the mail's own HTML, which continues the heading's cell, closes it and adds rows, then
 * the footer. `subject`, `preheader` and `heading` are escaped here.
 */
function emailFrame({ subject, preheader, heading, rows }: { subject: string; preheader: string; heading: string; rows: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(subject)}</title>
<style>
@media (max-width: 480px) {
  .outer { padding: 8px 0 !important; }
  .pad { padding-left: 18px !important; padding-right: 18px !important; }
}
</style>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<div style="display:none;max-height:0;overflow:hidden;opacity:0;">${escapeHtml(preheader)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td class="outer" align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;border:1px solid #e5e7eb;border-radius:12px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<tr><td class="pad" style="padding:28px 28px 8px;">
<p style="margin:0 0 20px;font-size:15px;font-weight:700;letter-spacing:0.02em;color:#1d4ed8;">${PRODUCT}</p>
<h1 style="margin:0 0 16px;font-size:22px;line-height:30px;font-weight:700;color:#111827;">${escapeHtml(heading)}</h1>
${rows}<tr><td class="pad" style="padding:0 28px 28px;">
<p style="margin:0;font-size:12px;line-height:18px;color:#6b7280;">This is an automatic security message from ${PRODUCT}. Replies are not read.</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}

// ── Security-change notices ──────────────────────────────────────────────────
//
// product.md B: "Every change to a factor, contact or device notifies the user on every verified
// channel"; security.md rule 11: a reset is announced everywhere the owner can still be reached.
// A notice is how a real owner learns that someone else got in, so it says plainly what changed,
// when and from where, and what to do if it wasn't them. Like the code messages above it carries no
// link: an attacker's copy of this mail would want exactly one click.

export const SECURITY_CHANGES = [
  'authenticator_linked',
  'authenticator_replaced',
  'authenticator_removed',
  'passkey_added',
  'passkey_removed',
  'passkey_revoked',
  'device_signed_out',
  'sessions_ended',
  'recovery_completed',
  'contact_changed',
  'recovery_ticket_opened',
  'recovery_ticket_approved',
] as const;

export type SecurityChange = (typeof SECURITY_CHANGES)[number];

export type SecurityNoticeContext = {
  /** The passkey's name as the user gave it, e.g. "Work laptop". */
  passkeyName?: string | undefined;
  /** The device that was signed out, as shown on the devices page. */
  deviceName?: string | undefined;
  /** Where the change was made, as a person would say it, e.g. "Chrome on macOS". */
  requestedFrom?: string | undefined;
  /** End of the withdrawal/P2P hold the change started (security.md rule 11). */
  holdEndsAt?: Date | undefined;
  /**
   * security.md rule 27: the single-use "This wasn't me" link of a recovery ticket. The one link a
   * notice carries: it can only stop a recovery, never change the account, so an attacker's copy of
   * the mail gains nothing from it.
   */
  cancelUrl?: string | undefined;
  /** When an approved recovery will go ahead unless it is cancelled (the cancel window). */
  proceedsAt?: Date | undefined;
};

type NoticeWords = {
  subject: string;
  /** One short phrase for the SMS, lower case, no names (see securityNoticeSms). */
  sms: string;
  headline: (names: { passkey: string | undefined; device: string | undefined }) => string;
  /** A second sentence where the headline alone could leave someone unsure what happened. */
  detail?: string;
};

const NOTICE_WORDS: Record<SecurityChange, NoticeWords> = {
  authenticator_linked: {
    subject: `An authenticator app was linked to your ${PRODUCT} account`,
    sms: 'an authenticator app was linked',
    headline: () => 'An authenticator app was linked to your account',
    detail: 'Codes from that app can now be used to sign in and to confirm changes.',
  },
  authenticator_replaced: {
    subject: `Your ${PRODUCT} authenticator app was replaced`,
    sms: 'your authenticator app was replaced',
    headline: () => 'Your authenticator app was replaced',
    detail: 'Codes from the previous app no longer work.',
  },
  authenticator_removed: {
    subject: `Your ${PRODUCT} authenticator app was removed`,
    sms: 'your authenticator app was removed',
    headline: () => 'Your authenticator app was removed',
    detail: 'Codes from that app no longer work.',
  },
  passkey_added: {
    subject: `A passkey was added to your ${PRODUCT} account`,
    sms: 'a passkey was added',
    headline: ({ passkey }) => (passkey ? `A passkey named “${passkey}” was added to your account` : 'A passkey was added to your account'),
    detail: 'It can now be used to sign in.',
  },
  passkey_removed: {
    subject: `A passkey was removed from your ${PRODUCT} account`,
    sms: 'a passkey was removed',
    headline: ({ passkey }) => (passkey ? `The passkey “${passkey}” was removed from your account` : 'A passkey was removed from your account'),
    detail: 'It can no longer be used to sign in.',
  },
  passkey_revoked: {
    subject: `A passkey on your ${PRODUCT} account was revoked`,
    sms: 'a passkey you reported was revoked',
    headline: ({ passkey }) =>
      passkey ? `The passkey “${passkey}” was reported as not yours and revoked` : 'A passkey reported as not yours was revoked',
    detail: 'It can no longer be used to sign in. Review your other passkeys and devices in the app as well.',
  },
  device_signed_out: {
    subject: `A device was signed out of your ${PRODUCT} account`,
    sms: 'a device was signed out',
    headline: ({ device }) => (device ? `“${device}” was signed out of your account` : 'A device was signed out of your account'),
  },
  sessions_ended: {
    subject: `Every session on your ${PRODUCT} account was ended`,
    sms: 'all sessions were ended',
    headline: () => 'Every session on your account was ended',
    detail: 'A sign-in was reported as not yours, so every device was signed out and has to sign in again.',
  },
  recovery_completed: {
    subject: `Your ${PRODUCT} account was recovered`,
    sms: 'your account was recovered',
    headline: () => 'Your account was recovered',
    detail: 'Access was restored through account recovery, and every other session was signed out.',
  },
  contact_changed: {
    subject: `The contact details on your ${PRODUCT} account changed`,
    sms: 'your contact details changed',
    headline: () => 'The contact details on your account changed',
    detail: 'The email address or phone number we use to reach you was changed.',
  },
  recovery_ticket_opened: {
    subject: `Someone asked to recover your ${PRODUCT} account with an identity document`,
    sms: 'ID recovery was requested',
    headline: () => 'Someone asked to recover your account with an identity document',
    detail: 'Our security team will review the request. If it is approved, the sign-in methods it names will be replaced.',
  },
  recovery_ticket_approved: {
    subject: `A recovery of your ${PRODUCT} account goes ahead unless you cancel`,
    sms: 'ID recovery was approved',
    headline: () => 'A request to recover your account with an identity document was approved',
    detail: 'Nothing has changed yet. Unless you cancel, the person who asked will get a link to replace your sign-in methods.',
  },
};

export type SecurityNoticeEmail = { subject: string; text: string; html: string };

export function securityNoticeEmail(options: { change: SecurityChange; at: Date; context?: SecurityNoticeContext | undefined }): SecurityNoticeEmail {
  const { change, at, context = {} } = options;
  const words = NOTICE_WORDS[change];
  // Names come from whoever made the change, possibly an attacker: one line, bounded, never in the
  // subject, and escaped in the HTML like every other value.
  const headline = words.headline({ passkey: userText(context.passkeyName), device: userText(context.deviceName) });
  const when = utcDateTime(at);
  const from = userText(context.requestedFrom);
  const hold = context.holdEndsAt
    ? `To protect your funds, withdrawals and P2P trading are held until ${utcDateTime(context.holdEndsAt)}.`
    : undefined;
  const subject = words.subject;
  const ifYou = "If this was you, you don't need to do anything else.";
  const recover = `Open the ${PRODUCT} app, or type the address you always use into your browser, and choose “Can't sign in?” to secure your account.`;
  const support = `Then contact ${PRODUCT} Support from the help center at that same address. Don't use links or phone numbers from messages you didn't expect.`;
  const never = `Nobody from ${PRODUCT} Support will ever ask for your password or your codes.`;
  const holdHelps = 'The hold gives you time to act before anyone can move funds.';
  const proceeds = context.proceedsAt ? `It goes ahead at ${utcDateTime(context.proceedsAt)} unless you cancel it before then.` : undefined;
  const cancel = context.cancelUrl ? `If this wasn't you, cancel the request here: ${context.cancelUrl}` : undefined;

  const text = [
    `${PRODUCT} security notice`,
    '',
    `${headline}.`,
    ...(words.detail ? ['', words.detail] : []),
    '',
    `When: ${when}`,
    ...(from ? [`From: ${from}`] : []),
    ...(hold ? ['', hold] : []),
    ...(proceeds ? ['', proceeds] : []),
    ...(cancel ? ['', cancel] : []),
    '',
    ifYou,
    '',
    "Wasn't you?",
    `- ${recover}`,
    `- ${support}`,
    `- ${never}`,
    ...(hold ? [`- ${holdHelps}`] : []),
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');

  const p = 'margin:0 0 16px;font-size:16px;line-height:24px;color:#1f2937;';
  const small = 'margin:0 0 8px;font-size:14px;line-height:21px;color:#374151;';
  const html = emailFrame({
    subject,
    preheader: `${headline} on ${when}.`,
    heading: headline,
    rows: `${words.detail ? `<p style="${p}">${escapeHtml(words.detail)}</p>` : ''}
<p style="${small}"><strong>When:</strong> ${escapeHtml(when)}</p>
${from ? `<p style="${small}"><strong>From:</strong> ${escapeHtml(from)}</p>` : ''}
</td></tr>
${
  hold
    ? `<tr><td class="pad" style="padding:8px 28px 8px;">
<div style="padding:16px;border:1px solid #bfdbfe;background-color:#eff6ff;border-radius:8px;">
<p style="margin:0;font-size:15px;line-height:22px;color:#1e3a8a;">${escapeHtml(hold)}</p>
</div>
</td></tr>
`
    : ''
}${
  context.cancelUrl
    ? `<tr><td class="pad" style="padding:8px 28px 8px;">
${proceeds ? `<p style="${p}">${escapeHtml(proceeds)}</p>` : ''}<p style="${p}"><a href="${escapeHtml(context.cancelUrl)}" style="display:inline-block;padding:12px 20px;background-color:#b91c1c;color:#ffffff;font-weight:700;text-decoration:none;border-radius:8px;">This wasn&#39;t me: cancel the request</a></p>
</td></tr>
`
    : ''
}<tr><td class="pad" style="padding:8px 28px 8px;">
<p style="${p}">${escapeHtml(ifYou)}</p>
</td></tr>
<tr><td class="pad" style="padding:0 28px 24px;">
<div style="padding:16px;border:1px solid #fcd34d;background-color:#fffbeb;border-radius:8px;">
<h2 style="margin:0 0 8px;font-size:16px;line-height:24px;font-weight:700;color:#92400e;">Wasn&#39;t you?</h2>
<p style="${small}">${escapeHtml(recover)}</p>
<p style="${small}">${escapeHtml(support)}</p>
<p style="margin:0;font-size:14px;line-height:21px;color:#374151;">${escapeHtml(hold ? `${never} ${holdHelps}` : never)}</p>
</div>
</td></tr>
`,
  });
  return { subject, text, html };
}

export const SMS_SEGMENT = 160;

/**
 * One GSM-7 segment: plain ASCII (see codeSms) and at most 160 characters. Passkey and device names
 * stay out: they are chosen by whoever made the change, and an SMS that quotes an attacker's words
 * ("call +1 … to cancel") becomes their message. The device it came from is added only while the
 * whole text still fits one segment.
 */
export function securityNoticeSms(options: { change: SecurityChange; at: Date; context?: SecurityNoticeContext | undefined }): { text: string } {
  const { change, at, context = {} } = options;
  const when = utcDateTime(at, { short: true });
  const hold = context.holdEndsAt ? ` Withdrawals and P2P held until ${utcDateTime(context.holdEndsAt, { short: true })}.` : '';
  // A recovery ticket's notice carries its cancel link even past one segment: for an owner who can
  // only be reached by phone it is the only way to stop the request (security.md rule 27).
  const action = context.cancelUrl ? ` Not you? Cancel: ${context.cancelUrl}` : " Not you? Open the app, tap Can't sign in?";
  const from = asciiText(context.requestedFrom, 40);
  const compose = (withFrom: boolean) =>
    `${PRODUCT}: ${NOTICE_WORDS[change].sms} on ${when}${withFrom && from ? ` from ${from}` : ''}.${hold}${action}`;
  const full = compose(true);
  return { text: full.length <= SMS_SEGMENT || context.cancelUrl ? compose(!context.cancelUrl) : compose(false) };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "1 May 2026 at 10:00 UTC": spelled out, not locale-formatted, so every recipient reads the same
 * instant whatever the server's locale; UTC because rule 20 records times in UTC and support
 * staff compare the two. The short form ("1 May 10:00 UTC") is for the SMS.
 */
function utcDateTime(date: Date, options: { short?: boolean } = {}) {
  const day = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
  const time = `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')} UTC`;
  return options.short ? `${day} ${time}` : `${day} ${date.getUTCFullYear()} at ${time}`;
}

/**
 * A value someone typed (or a user agent sent), made safe for one line of text: control and
 * bidirectional-override characters would let it forge extra lines or reorder what a reader sees.
 */
function userText(value: string | undefined, max = 60): string | undefined {
  if (value === undefined) return undefined;
  const line = value
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (line.length === 0) return undefined;
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

function asciiText(value: string | undefined, max: number): string | undefined {
  const line = userText(value, Number.MAX_SAFE_INTEGER)
    ?.replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!line) return undefined;
  return line.length > max ? line.slice(0, max).trimEnd() : line;
}

// ── Recovery tickets ─────────────────────────────────────────────────────────
//
// Mail about an identity-document recovery request (issue 6, product.md C). The same rules as the
// code and notice mail above: plain words, times in UTC, and no link or button, because a genuine
// "click here about your account recovery" mail is exactly what a phishing copy imitates. The
// person is told in words where to go ("type the address you always use").
//
// The single exception is ticketApprovedEmail: after an agent approved the request, the person has
// to open a single-use link to bind a new factor (security.md rule 10: the approved ticket is the
// proof), and there is nothing to type instead of it. That mail says what the link does, that it
// works once, when it dies, which address it starts with, and that it never signs anyone in.

export type TicketEmail = { subject: string; text: string; html: string };

const WHERE_STATUS =
  `Open the ${PRODUCT} help center by typing the address you always use into your browser, choose “Can't sign in?”, then “Check a recovery request”, and enter your reference and this email address.`;
const NEVER_ASK = `Nobody from ${PRODUCT} Support will ever ask for your password or your codes: not by phone, chat or email.`;

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
    `- If you didn't ask to recover a ${PRODUCT} account, ignore this email. Nothing changes unless our team has checked the person's identity documents.`,
    `- ${NEVER_ASK}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');
  const html = ticketEmailHtml({
    subject,
    preheader: `Our security team needs something more for request ${reference}.`,
    heading: 'We need more information',
    body: [para(intro), para(how), small(wait)].join('\n'),
    warning: [`If you didn't ask to recover a ${PRODUCT} account, ignore this email. Nothing changes unless our team has checked the person's identity documents.`, NEVER_ASK],
  });
  return { subject, text, html };
}

/**
 * The request was approved: the single-use link that lets the person bind a new passkey or
 * authenticator app. The only mail in this file with a link (see above). The link is printed in
 * full, never hidden behind a button label, so the person can check where it goes.
 */
export function ticketApprovedEmail(options: { reference: string; resetUrl: string; expiresAt: Date }): TicketEmail {
  const { reference, resetUrl, expiresAt } = options;
  const host = new URL(resetUrl).host;
  const subject = `Your ${PRODUCT} recovery request was approved`;
  const intro = `Your recovery request ${reference} was approved. You can now set up a new way to sign in.`;
  const open = 'Open this link to set up a new passkey or authenticator app:';
  const rules = `The link works once and expires on ${utcDateTime(expiresAt)}. It doesn't sign you in: after setting up the new method, you sign in with it yourself.`;
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
    preheader: 'Set up a new way to sign in. The link works once.',
    heading: 'Your recovery request was approved',
    body: [
      para(intro),
      para(open),
      `<p style="margin:0 0 16px;padding:16px;background-color:#f3f4f6;border-radius:8px;font-family:'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace;font-size:14px;line-height:21px;word-break:break-all;"><a href="${href}" style="color:#1d4ed8;">${href}</a></p>`,
      para(rules),
      small(check),
      small(hold),
    ].join('\n'),
    warning: [notYou, NEVER_ASK],
  });
  return { subject, text, html };
}

/** A video call was booked: the window in UTC and how to join on the day. No link (see above). */
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

/** "1 May 2026, 10:00 to 10:30 UTC" (both dates in full when the window crosses midnight UTC). */
export function utcWindow(startsAt: Date, endsAt: Date): string {
  const sameDay = startsAt.toISOString().slice(0, 10) === endsAt.toISOString().slice(0, 10);
  if (!sameDay) return `${utcDateTime(startsAt)} to ${utcDateTime(endsAt)}`;
  const time = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${startsAt.getUTCDate()} ${MONTHS[startsAt.getUTCMonth()]} ${startsAt.getUTCFullYear()}, ${time(startsAt)} to ${time(endsAt)} UTC`;
}

function hours(n: number) {
  return n === 1 ? '1 hour' : `${n} hours`;
}

const para = (text: string) => `<p style="margin:0 0 16px;font-size:16px;line-height:24px;color:#1f2937;">${escapeHtml(text)}</p>`;
const small = (text: string) => `<p style="margin:0 0 8px;font-size:14px;line-height:21px;color:#374151;">${escapeHtml(text)}</p>`;
const referenceBox = (reference: string) =>
  `<p style="margin:0 0 16px;padding:16px;background-color:#f3f4f6;border-radius:8px;text-align:center;font-family:'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace;font-size:26px;line-height:32px;font-weight:700;letter-spacing:0.1em;color:#111827;-webkit-user-select:all;user-select:all;">${escapeHtml(reference)}</p>`;

/** Ticket mail: a body and the "Wasn't you?" box in the shared frame. */
function ticketEmailHtml(options: { subject: string; preheader: string; heading: string; body: string; warning: string[] }) {
  const { subject, preheader, heading, body, warning } = options;
  const last = warning.length - 1;
  const warnings = warning
    .map((line, i) => `<p style="margin:${i === last ? '0' : '0 0 8px'};font-size:14px;line-height:21px;color:#374151;">${escapeHtml(line)}</p>`)
    .join('\n');
  return emailFrame({
    subject,
    preheader,
    heading,
    rows: `${body}
</td></tr>
<tr><td class="pad" style="padding:8px 28px 24px;">
<div style="padding:16px;border:1px solid #fcd34d;background-color:#fffbeb;border-radius:8px;">
<h2 style="margin:0 0 8px;font-size:16px;line-height:24px;font-weight:700;color:#92400e;">Wasn&#39;t you?</h2>
${warnings}
</div>
</td></tr>
`,
  });
}

/**
 * The request was not approved (issue 7, "reject with a reason"). The explanation is one of the
 * fixed sentences the console offers (lib/recovery/console REJECTION_REASONS), never words typed by
 * an agent, for the reason given for ticketInfoRequestEmail. No link: the next step is said in words.
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
