/**
 * The words of every one-time-code message. They read like a careful exchange's security mail:
 * what the code is for, when it dies, and that nobody from Support will ever ask for it.
 *
 * No message carries a link or a button. A code message that asks people to click is exactly what
 * phishing copies; "secure your account" is said in words ("open the app or type the address you
 * always use"), never as a link.
 */
import { minutes } from './format';
import { PRODUCT, STYLE, emailLayout, escapeHtml, escapeXml, labelled, section, wasntYouBox } from './layout';

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
  const dontShare = `Don't share this code with anyone. Nobody from ${PRODUCT} Support will ever ask for it: not by phone, chat or email.`;
  const secure = `Secure your account: open the ${PRODUCT} app or type the address you always use into your browser, then change your password and review your devices. Don't use links from messages you didn't expect.`;

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
    `- ${secure}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');

  const html = emailLayout({
    subject,
    preheader: `Your code expires in ${expires}. Never share it.`,
    heading: 'Your verification code',
    intro: `<p style="${STYLE.para}">Use this code to confirm ${escapeHtml(purposeLabel)}:</p>
<p style="margin:0 0 16px;padding:16px;background-color:#f3f4f6;border-radius:8px;text-align:center;font-family:${STYLE.mono};font-size:34px;line-height:40px;font-weight:700;letter-spacing:0.2em;color:#111827;-webkit-user-select:all;user-select:all;">${escapeHtml(code)}</p>
<p style="${STYLE.para}">It expires in <strong>${escapeHtml(expires)}</strong> and works only once.</p>
${requestedFrom ? labelled('Requested from:', requestedFrom) : ''}
`,
    sections: [section('8px 28px 24px', wasntYouBox([dontShare, secure]))],
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
