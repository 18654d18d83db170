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
  const html = `<!doctype html>
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
<div style="display:none;max-height:0;overflow:hidden;opacity:0;">Your code expires in ${escapeHtml(expires)}. Never share it.</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td class="outer" align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;border:1px solid #e5e7eb;border-radius:12px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<tr><td class="pad" style="padding:28px 28px 8px;">
<p style="margin:0 0 20px;font-size:15px;font-weight:700;letter-spacing:0.02em;color:#1d4ed8;">${PRODUCT}</p>
<h1 style="margin:0 0 16px;font-size:22px;line-height:30px;font-weight:700;color:#111827;">Your verification code</h1>
<p style="${p}">Use this code to confirm ${escapeHtml(purposeLabel)}:</p>
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
<tr><td class="pad" style="padding:0 28px 28px;">
<p style="margin:0;font-size:12px;line-height:18px;color:#6b7280;">This is an automatic security message from ${PRODUCT}. Replies are not read.</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
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
