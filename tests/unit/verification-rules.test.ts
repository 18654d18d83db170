import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeUserAgent, shortenIp } from '@/lib/http/describe';
import { codeMatches, generateCode, hashCode, normalizeCode } from '@/lib/verification/codes';
import { identifierInput, maskEmail, maskPhone } from '@/lib/verification/identifiers';
import { RESEND_COOLDOWN_SECONDS, resendCooldownSeconds } from '@/lib/verification/policy';

describe('identifiers', () => {
  it.each([
    ['  Ada@Example.COM ', { kind: 'email', value: 'ada@example.com' }],
    ['+44 7700 900142', { kind: 'phone', value: '+447700900142' }],
    ['+1 (555) 555-0123', { kind: 'phone', value: '+15555550123' }],
  ])('accepts %j', (input, expected) => {
    expect(identifierInput.parse(input)).toEqual(expected);
  });

  it.each([
    ['', /Enter your email address or phone number/],
    ['ada@', /valid email address/],
    ['07700 900123', /country code/],
    ['+44 77', /does not look complete/],
    ['call me', /digits only/],
  ])('explains what is wrong with %j', (input, message) => {
    const result = identifierInput.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toMatch(message);
  });

  it('masks contacts enough to recognise, not to learn', () => {
    expect(maskPhone('+15555554217')).toBe('+1 ••• ••• 42 17');
    expect(maskPhone('+447700900142')).toBe('+44 ••• ••• 01 42');
    expect(maskEmail('ada@example.com')).toBe('a•••@example.com');
  });
});

describe('codes', () => {
  it('are six digits from the CSPRNG, spread over the whole range', () => {
    const codes = Array.from({ length: 2000 }, generateCode);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
    expect(new Set(codes).size).toBeGreaterThan(1990);
    expect(codes.some((c) => c.startsWith('0'))).toBe(true);
  });

  it('are compared by keyed hash, bound to their challenge', () => {
    const key = randomBytes(32);
    const stored = hashCode(key, 'challenge-a', '123456');
    expect(codeMatches(key, 'challenge-a', '123456', stored)).toBe(true);
    expect(codeMatches(key, 'challenge-b', '123456', stored)).toBe(false);
    expect(codeMatches(key, 'challenge-a', '123457', stored)).toBe(false);
    expect(codeMatches(randomBytes(32), 'challenge-a', '123456', stored)).toBe(false);
    expect(codeMatches(key, 'challenge-a', '123456', null)).toBe(false);
  });

  it.each([
    ['123456', '123456'],
    [' 123 456 ', '123456'],
    ['123-456', '123456'],
    ['12345', undefined],
    ['12345a', undefined],
    ['1234567', undefined],
  ])('normalizes pasted %j', (input, expected) => {
    expect(normalizeCode(input)).toBe(expected);
  });
});

describe('resend cooldown', () => {
  it('grows with every send and stops growing at its cap', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(resendCooldownSeconds)).toEqual([30, 60, 120, 300, 600, 600, 600]);
    expect(RESEND_COOLDOWN_SECONDS[0]).toBe(30);
  });
});

describe('approval request details', () => {
  it.each([
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36', 'Chrome on Windows'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1', 'Safari on iOS'],
    [null, 'Unknown browser'],
  ])('describes %s', (ua, expected) => {
    expect(describeUserAgent(ua)).toBe(expected);
  });

  it('shortens addresses', () => {
    expect(shortenIp('203.0.113.77')).toBe('203.0.113.x');
    expect(shortenIp('2001:db8:85a3::8a2e:370:7334')).toBe('2001:db8:85a3:…');
    expect(shortenIp(null)).toBe('Unknown network');
  });
});
