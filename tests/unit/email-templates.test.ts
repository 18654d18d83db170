import { describe, expect, it } from 'vitest';
import {
  SECURITY_CHANGES,
  appointmentCancelledEmail,
  appointmentScheduledEmail,
  codeEmail,
  securityNoticeEmail,
  ticketApprovedEmail,
  ticketInfoRequestEmail,
  ticketReceivedEmail,
  ticketRejectedEmail,
} from '@/lib/delivery/templates';
import { emailLayout, section } from '@/lib/delivery/templates/layout';

const AT = new Date('2026-05-01T10:07:00Z');
const LATER = new Date('2026-05-02T10:07:00Z');
const CALL = { id: '01a2-call', startsAt: AT, endsAt: new Date('2026-05-01T10:37:00Z'), organizer: 'no-reply@help.regain.test', attendee: 'person@example.com', now: AT };
const HOSTILE = `<script>alert("x")</script> & 'q'`;
const HOSTILE_ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;';

type Mail = { subject: string; text: string; html: string };

/** Every mail template, with every optional part switched on, and a user-supplied value in each slot it has. */
const MAILS: [string, (value: string) => Mail][] = [
  ['code', (v) => codeEmail({ code: '482913', purposeLabel: v, expiresInMinutes: 10, requestedFrom: v })],
  ['code without origin', () => codeEmail({ code: '482913', purposeLabel: 'your account recovery', expiresInMinutes: 1 })],
  ...SECURITY_CHANGES.flatMap((change): [string, (value: string) => Mail][] => [
    [`notice ${change}`, (v) => securityNoticeEmail({ change, at: AT, context: { passkeyName: v, deviceName: v, requestedFrom: v, holdEndsAt: LATER } })],
    [
      `notice ${change} with cancel link`,
      (v) => securityNoticeEmail({ change, at: AT, context: { requestedFrom: v, cancelUrl: 'https://regain.example/recover/cancel#t', proceedsAt: LATER } }),
    ],
    [`notice ${change}, bare`, () => securityNoticeEmail({ change, at: AT })],
  ]),
  ['ticket received', (v) => ticketReceivedEmail({ reference: v, receivedAt: AT, reviewWithinHours: 48 })],
  ['ticket info request', (v) => ticketInfoRequestEmail({ reference: v })],
  ['ticket approved', (v) => ticketApprovedEmail({ reference: v, resetUrl: 'https://regain.example/recover/complete#abc', expiresAt: LATER })],
  ['ticket rejected', (v) => ticketRejectedEmail({ reference: v, explanation: v })],
  ...(['Europe/Berlin', null] as const).flatMap((timeZone): [string, (value: string) => Mail][] => [
    [
      `appointment (${timeZone ?? 'UTC'})`,
      (v) => appointmentScheduledEmail({ ...CALL, reference: v, timeZone, earlyMinutes: 10 }),
    ],
    ...(['cancelled_by_you', 'another_time', 'request_decided', 'rebooked'] as const).map((reason): [string, (value: string) => Mail] => [
      `appointment cancelled: ${reason} (${timeZone ?? 'UTC'})`,
      (v) => appointmentCancelledEmail({ ...CALL, reference: v, timeZone, reason }),
    ]),
  ]),
];

const VOID = new Set(['meta', 'br', 'img', 'hr', 'link', 'input']);

/** The open elements left after reading the document, or the first tag that closes the wrong one. */
function tagProblems(html: string): string | undefined {
  const stack: string[] = [];
  const markup = html.replace(/<style>[\s\S]*?<\/style>/g, '<style></style>');
  for (const match of markup.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
    const [, closing, rawName] = match;
    const name = rawName!.toLowerCase();
    if (VOID.has(name)) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) return `</${name}> closes the wrong element at ${match.index}`;
  }
  return stack.length ? `left open: ${stack.join(' > ')}` : undefined;
}

const count = (haystack: string, needle: RegExp) => haystack.match(needle)?.length ?? 0;

describe('email templates: every HTML part is a complete document', () => {
  it.each(MAILS)('%s', (_, make) => {
    const { subject, text, html } = make(HOSTILE);
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(count(html, /<html\b/g)).toBe(1);
    expect(count(html, /<\/html>/g)).toBe(1);
    expect(count(html, /<head>/g)).toBe(1);
    expect(count(html, /<\/head>/g)).toBe(1);
    expect(count(html, /<body\b/g)).toBe(1);
    expect(count(html, /<\/body>/g)).toBe(1);
    expect(html.indexOf('</head>')).toBeLessThan(html.indexOf('<body'));
    expect(tagProblems(html)).toBeUndefined();
    // The shared footer closes every mail.
    expect(html).toContain('This is an automatic security message from Regain. Replies are not read.</p>\n</td></tr>\n</table>');

    expect(subject.trim()).not.toBe('');
    expect(text.trim().length).toBeGreaterThan(50);
    expect(text).toContain("Wasn't you?");
    expect(text).not.toContain('&lt;');
  });
});

describe('email templates: user-supplied values are escaped in the HTML', () => {
  it.each(MAILS.filter(([name]) => !name.endsWith('bare') && name !== 'code without origin'))('%s', (_, make) => {
    const { html } = make(HOSTILE);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('"x"');
    // Names in notices are trimmed to one bounded line, so look for the escaped start of the value.
    expect(html).toContain(HOSTILE_ESCAPED.slice(0, 40));
  });
});

describe('emailLayout', () => {
  it('escapes the subject, preheader and heading and wraps each section in its own closed row', () => {
    const html = emailLayout({
      subject: '<s>',
      preheader: '"p"',
      heading: "it's <h>",
      intro: '<p>intro</p>\n',
      sections: [section('8px 28px 8px', '<p>one</p>\n'), section('0 28px 24px', '<p>two</p>\n')],
    });
    expect(html).toContain('<title>&lt;s&gt;</title>');
    expect(html).toContain('&quot;p&quot;</div>');
    expect(html).toContain('>it&#39;s &lt;h&gt;</h1>\n<p>intro</p>\n</td></tr>\n');
    expect(html).toContain('<tr><td class="pad" style="padding:8px 28px 8px;">\n<p>one</p>\n</td></tr>\n');
    expect(html).toContain('<tr><td class="pad" style="padding:0 28px 24px;">\n<p>two</p>\n</td></tr>\n');
    expect(tagProblems(html)).toBeUndefined();
  });

  it('the balance check notices a row left open', () => {
    const broken = emailLayout({ subject: 's', preheader: 'p', heading: 'h', intro: '<div>\n' });
    expect(tagProblems(broken)).toBeDefined();
  });
});
