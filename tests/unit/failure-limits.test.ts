import { describe, expect, it } from 'vitest';
import { lockSecondsFor, settle } from '@/lib/limits/failures';
import { CODE_FAILURES, SIGN_IN_FAILURES } from '@/lib/verification/policy';

// docs/security.md rules 3, 14, 23: locks are time-boxed, grow with repeats and stop growing at a cap.
describe('failure-limit locks', () => {
  it.each([
    [CODE_FAILURES.perSubject, [15, 30, 60, 120, 240, 240, 240]],
    [SIGN_IN_FAILURES.perSubject, [15, 30, 60, 120, 240, 240, 240]],
    [CODE_FAILURES.perClient, [60, 120, 240, 480, 960, 1440, 1440]],
    [SIGN_IN_FAILURES.perClient, [15, 30, 60, 120, 240, 480, 960]],
  ])('lock minutes for strikes 1..7 of %j', (tier, minutes) => {
    expect(minutes.map((_, i) => lockSecondsFor(tier, i + 1) / 60)).toEqual(minutes);
  });

  it('keeps the counting rule 3 asks for: 100 failures per identifier, 5 per challenge elsewhere', () => {
    expect(CODE_FAILURES.perSubject.limit).toBe(100);
    // The owner is never refused longer than four hours by a lock strangers can trigger (rule 23).
    expect(Math.max(CODE_FAILURES.perSubject.maxLockSeconds, SIGN_IN_FAILURES.perSubject.maxLockSeconds)).toBe(4 * 3600);
  });
});

describe('settle', () => {
  const tier = { limit: 10, windowSeconds: 3600, lockSeconds: 900, maxLockSeconds: 14_400 };
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
  const forget = 86_400;

  it.each([
    ['inside its window: unchanged', { count: 4, windowStart: at(0), strikes: 0, blockedUntil: null }, 1800, { count: 4, windowStart: at(0), strikes: 0, blockedUntil: null }],
    ['past its window: starts over', { count: 4, windowStart: at(0), strikes: 0, blockedUntil: null }, 3600, { count: 0, windowStart: at(3600), strikes: 0, blockedUntil: null }],
    ['locked: unchanged', { count: 3, windowStart: at(0), strikes: 1, blockedUntil: at(900) }, 600, { count: 3, windowStart: at(0), strikes: 1, blockedUntil: at(900) }],
    [
      'a lock that ran out: a new window from its end, the strike kept',
      { count: 3, windowStart: at(0), strikes: 1, blockedUntil: at(900) },
      1000,
      { count: 0, windowStart: at(900), strikes: 1, blockedUntil: at(900) },
    ],
    [
      'a lock that ended a day ago: forgotten',
      { count: 3, windowStart: at(0), strikes: 2, blockedUntil: at(900) },
      900 + forget,
      { count: 0, windowStart: at(900 + forget), strikes: 0, blockedUntil: at(900) },
    ],
  ])('%s', (_name, bucket, now, expected) => {
    expect(settle(bucket, tier, forget, at(now))).toEqual(expected);
  });
});
