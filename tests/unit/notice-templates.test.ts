import { describe, expect, it } from 'vitest';
import { SECURITY_CHANGES, securityNoticeEmail, securityNoticeSms, type SecurityChange } from '@/lib/delivery/templates';

const AT = new Date('2026-05-01T10:07:00Z');
const HOLD_END = new Date('2026-05-02T10:07:00Z');
const HOLD_SENTENCE = /withdrawals and P2P trading are held until 2 May 2026 at 10:07 UTC/;
const HOSTILE = `<script>alert("x")</script> & 'quotes'`;

describe('security notice email (docs/product.md B, docs/security.md rule 11)', () => {
  it.each(SECURITY_CHANGES)('%s: says what changed, when (UTC), and what to do if it was not you', (change) => {
    const email = securityNoticeEmail({ change, at: AT, context: { requestedFrom: 'Chrome on macOS' } });
    for (const body of [email.text, email.html]) {
      expect(body).toContain('1 May 2026 at 10:07 UTC');
      expect(body).toContain('Chrome on macOS');
      expect(body).toMatch(/If this was you, you don(&#39;|')t need to do anything else\./);
      expect(body).toMatch(/Can(&#39;|')t sign in\?/);
      expect(body).toContain('type the address you always use');
      expect(body).toMatch(/contact Regain Support/);
    }
    expect(email.subject.length).toBeGreaterThan(10);
  });

  it.each(SECURITY_CHANGES)('%s: carries no link or button (phishing copies those)', (change) => {
    const email = securityNoticeEmail({ change, at: AT, context: { holdEndsAt: HOLD_END, passkeyName: 'Key', deviceName: 'Phone' } });
    expect(email.html).not.toMatch(/<a\b|href=|<button|<form/i);
    expect(`${email.text}\n${email.html}`).not.toMatch(/https?:\/\/|www\./i);
  });

  it('each change has its own subject', () => {
    const subjects = SECURITY_CHANGES.map((change) => securityNoticeEmail({ change, at: AT }).subject);
    expect(new Set(subjects).size).toBe(SECURITY_CHANGES.length);
  });

  it('escapes every interpolated value in the HTML', () => {
    const email = securityNoticeEmail({
      change: 'passkey_added',
      at: AT,
      context: { passkeyName: HOSTILE, requestedFrom: HOSTILE },
    });
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('"x"');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;');
    // The plain-text part shows the name as typed.
    expect(email.text).toContain(HOSTILE);

    const device = securityNoticeEmail({ change: 'device_signed_out', at: AT, context: { deviceName: '<img src=x onerror=alert(1)>' } });
    expect(device.html).not.toContain('<img');
    expect(device.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('keeps user-chosen names out of the subject, on one line and bounded', () => {
    const name = `Evil\nFrom: Regain Support\u202E${'x'.repeat(200)}`;
    const email = securityNoticeEmail({ change: 'passkey_added', at: AT, context: { passkeyName: name } });
    expect(email.subject).not.toContain('Evil');
    expect(email.text).not.toMatch(/^From: Regain Support/m);
    expect(email.text).not.toContain('\u202E');
    expect(email.text).toContain('“Evil From: Regain Support');
    expect(email.text).not.toContain('x'.repeat(60));
  });

  it.each(SECURITY_CHANGES)('%s: the hold sentence appears only with holdEndsAt', (change) => {
    const held = securityNoticeEmail({ change, at: AT, context: { holdEndsAt: HOLD_END } });
    expect(held.text).toMatch(HOLD_SENTENCE);
    expect(held.html).toMatch(HOLD_SENTENCE);

    const free = securityNoticeEmail({ change, at: AT });
    expect(free.text).not.toMatch(/held until|withdrawals/i);
    expect(free.html).not.toMatch(/held until|withdrawals/i);
  });

  it('names the passkey or device when known', () => {
    expect(securityNoticeEmail({ change: 'passkey_removed', at: AT, context: { passkeyName: 'Work laptop' } }).text).toContain(
      'The passkey “Work laptop” was removed from your account.',
    );
    expect(securityNoticeEmail({ change: 'passkey_removed', at: AT }).text).toContain('A passkey was removed from your account.');
    expect(securityNoticeEmail({ change: 'device_signed_out', at: AT, context: { deviceName: 'iPhone' } }).text).toContain(
      '“iPhone” was signed out of your account.',
    );
  });

  it('leaves out the device line when the device is unknown', () => {
    const email = securityNoticeEmail({ change: 'authenticator_replaced', at: AT });
    expect(email.text).not.toContain('From:');
    expect(email.html).not.toContain('<strong>From:</strong>');
  });
});

describe('security notice SMS', () => {
  const contexts = [
    {},
    { holdEndsAt: HOLD_END },
    { holdEndsAt: HOLD_END, requestedFrom: 'Samsung Internet on Android, near Rio de Janeiro, Brazil' },
    { requestedFrom: 'Chrome on macOS', passkeyName: HOSTILE, deviceName: HOSTILE },
  ];
  const cases = SECURITY_CHANGES.flatMap((change) => contexts.map((context) => [change, context] as [SecurityChange, typeof context]));

  it.each(cases)('%s %j: one GSM-7 segment, plain ASCII, no link', (change, context) => {
    // The longest date: two-digit day in a hold that crosses into the next month.
    const at = new Date('2026-12-31T23:59:00Z');
    const { text } = securityNoticeSms({ change, at, context: { ...context, ...('holdEndsAt' in context ? { holdEndsAt: new Date('2027-01-31T23:59:00Z') } : {}) } });
    expect(text.length).toBeLessThanOrEqual(160);
    expect(text).toMatch(/^[\x20-\x7e]+$/);
    expect(text).not.toMatch(/https?:|www\.|\.com/i);
    expect(text).toContain("Can't sign in?");
    expect(text).toContain('31 Dec 23:59 UTC');
  });

  it('never quotes names chosen by whoever made the change', () => {
    const { text } = securityNoticeSms({ change: 'passkey_added', at: AT, context: { passkeyName: 'Call +1 555 0100 to cancel' } });
    expect(text).not.toContain('Call');
  });

  it('includes the device only while it fits, and the hold only with holdEndsAt', () => {
    const from = { requestedFrom: 'Chrome on macOS' };
    expect(securityNoticeSms({ change: 'recovery_completed', at: AT, context: from }).text).toBe(
      "Regain: your account was recovered on 1 May 10:07 UTC from Chrome on macOS. Not you? Open the app, tap Can't sign in?",
    );
    // With the hold sentence the device no longer fits one segment; the hold matters more.
    expect(securityNoticeSms({ change: 'recovery_completed', at: AT, context: { ...from, holdEndsAt: HOLD_END } }).text).toBe(
      "Regain: your account was recovered on 1 May 10:07 UTC. Withdrawals and P2P held until 2 May 10:07 UTC. Not you? Open the app, tap Can't sign in?",
    );
    expect(securityNoticeSms({ change: 'recovery_completed', at: AT }).text).toBe(
      "Regain: your account was recovered on 1 May 10:07 UTC. Not you? Open the app, tap Can't sign in?",
    );
  });
});

describe('recovery ticket notices (docs/security.md rule 27): the one link a notice carries cancels the request', () => {
  const cancelUrl = `https://help.example.com/recover/cancel#${'A'.repeat(43)}`;
  it.each(['recovery_ticket_opened', 'recovery_ticket_approved'] as const)('%s: email and SMS carry the cancel link; the approval says when it goes ahead', (change) => {
    const proceedsAt = change === 'recovery_ticket_approved' ? HOLD_END : undefined;
    const email = securityNoticeEmail({ change, at: AT, context: { cancelUrl, proceedsAt } });
    expect(email.text).toContain(cancelUrl);
    expect(email.html).toContain(`href="${cancelUrl}"`);
    expect(email.html).toMatch(/This wasn&#39;t me/);
    expect(email.subject).not.toContain('http');
    if (proceedsAt) expect(email.text).toContain('It goes ahead at 2 May 2026 at 10:07 UTC unless you cancel it before then.');
    const sms = securityNoticeSms({ change, at: AT, context: { cancelUrl } });
    expect(sms.text).toContain(`Cancel: ${cancelUrl}`);
    expect(sms.text).toMatch(/^[\x20-\x7e]+$/);
  });
});
