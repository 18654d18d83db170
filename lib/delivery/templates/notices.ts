/**
 * Security-change notices. Every change to a factor, contact or device is announced on every
 * verified channel (docs/product.md B), and a reset is announced everywhere the owner can still be
 * reached (docs/security.md rule 11). A notice is how a real owner learns that someone else got in,
 * so it says plainly what changed, when and from where, and what to do if it wasn't them. Like the
 * code messages it carries no link: an attacker's copy of this mail would want exactly one click.
 * The one exception is a recovery ticket's cancel link (see SecurityNoticeContext.cancelUrl).
 */
import { asciiText, userText, utcDateTime } from './format';
import { PRODUCT, STYLE, emailLayout, escapeHtml, labelled, para, section, wasntYouBox, type EmailSection } from './layout';

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
  'recovery_codes_created',
  'recovery_codes_replaced',
  'recovery_code_used',
] as const;

export type SecurityChange = (typeof SECURITY_CHANGES)[number];

export type SecurityNoticeContext = {
  /** The passkey's name as the user gave it, e.g. "Work laptop". */
  passkeyName?: string | undefined;
  /** The device that was signed out, as shown on the devices page. */
  deviceName?: string | undefined;
  /** Where the change was made, as a person would say it, e.g. "Chrome on macOS". */
  requestedFrom?: string | undefined;
  /** End of the withdrawal/P2P hold the change started (docs/security.md rule 11). */
  holdEndsAt?: Date | undefined;
  /**
   * docs/security.md rule 27: the single-use "This wasn't me" link of a recovery ticket. The one link a
   * notice carries: it can only stop a recovery, never change the account, so an attacker's copy of
   * the mail gains nothing from it.
   */
  cancelUrl?: string | undefined;
  /** When an approved recovery will go ahead unless it is cancelled (the cancel window). */
  proceedsAt?: Date | undefined;
  /** Unused recovery codes after one was spent. */
  codesLeft?: number | undefined;
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
  recovery_codes_created: {
    subject: `Recovery codes were created for your ${PRODUCT} account`,
    sms: 'recovery codes were created',
    headline: () => 'Recovery codes were created for your account',
    detail: 'Each of the 10 codes can be used once to sign in or to recover your account when your authenticator app or passkey is not at hand.',
  },
  recovery_codes_replaced: {
    subject: `Your ${PRODUCT} recovery codes were replaced`,
    sms: 'your recovery codes were replaced',
    headline: () => 'Your recovery codes were replaced with a new set',
    detail: 'The earlier codes no longer work, including any you printed or saved.',
  },
  recovery_code_used: {
    subject: `A recovery code was used on your ${PRODUCT} account`,
    sms: 'a recovery code was used',
    headline: () => 'A recovery code was used on your account',
    detail: 'That code no longer works. Each code works once.',
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
  const codesLeft = context.codesLeft === undefined ? undefined : String(context.codesLeft);

  const text = [
    `${PRODUCT} security notice`,
    '',
    `${headline}.`,
    ...(words.detail ? ['', words.detail] : []),
    '',
    `When: ${when}`,
    ...(from ? [`From: ${from}`] : []),
    ...(codesLeft ? [`Recovery codes left: ${codesLeft}`] : []),
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

  const sections: EmailSection[] = [];
  if (hold) {
    sections.push(
      section(
        '8px 28px 8px',
        `<div style="padding:16px;border:1px solid #bfdbfe;background-color:#eff6ff;border-radius:8px;">
<p style="margin:0;font-size:15px;line-height:22px;color:#1e3a8a;">${escapeHtml(hold)}</p>
</div>
`,
      ),
    );
  }
  if (context.cancelUrl) {
    sections.push(
      section(
        '8px 28px 8px',
        `${proceeds ? para(proceeds) : ''}<p style="${STYLE.para}"><a href="${escapeHtml(context.cancelUrl)}" style="display:inline-block;padding:12px 20px;background-color:#b91c1c;color:#ffffff;font-weight:700;text-decoration:none;border-radius:8px;">This wasn&#39;t me: cancel the request</a></p>\n`,
      ),
    );
  }
  sections.push(section('8px 28px 8px', `${para(ifYou)}\n`));
  sections.push(section('0 28px 24px', wasntYouBox([recover, support, hold ? `${never} ${holdHelps}` : never])));

  const html = emailLayout({
    subject,
    preheader: `${headline} on ${when}.`,
    heading: headline,
    intro: `${words.detail ? para(words.detail) : ''}
${labelled('When:', when)}
${from ? labelled('From:', from) : ''}
${codesLeft ? labelled('Recovery codes left:', codesLeft) : ''}
`,
    sections,
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
  // only be reached by phone it is the only way to stop the request (docs/security.md rule 27).
  const action = context.cancelUrl ? ` Not you? Cancel: ${context.cancelUrl}` : " Not you? Open the app, tap Can't sign in?";
  const from = asciiText(context.requestedFrom, 40);
  const compose = (withFrom: boolean) =>
    `${PRODUCT}: ${NOTICE_WORDS[change].sms} on ${when}${withFrom && from ? ` from ${from}` : ''}.${hold}${action}`;
  const full = compose(true);
  return { text: full.length <= SMS_SEGMENT || context.cancelUrl ? compose(!context.cancelUrl) : compose(false) };
}
