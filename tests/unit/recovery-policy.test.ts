import { describe, expect, it } from 'vitest';
import { LOST_FACTORS, nextProofs, resetAllowed, type LostFactor, type Proof } from '@/lib/recovery/policy';

const PROOFS: Proof[] = ['email_code', 'phone_code', 'trusted_device', 'authenticator', 'passkey', 'recovery_code'];

// docs/security.md rule 10: the whole table, every pair, written out so a change to the policy is a
// visible change to this test.
const ALLOWED: Record<LostFactor, string[]> = {
  authenticator: ['email_code+passkey', 'phone_code+passkey', 'email_code+trusted_device', 'phone_code+trusted_device', 'email_code+recovery_code', 'phone_code+recovery_code'],
  passkey: ['email_code+authenticator', 'email_code+trusted_device', 'phone_code+trusted_device', 'email_code+recovery_code', 'phone_code+recovery_code'],
  phone: ['email_code+authenticator', 'email_code+passkey', 'email_code+trusted_device', 'authenticator+passkey'],
  email: ['phone_code+passkey', 'phone_code+trusted_device', 'authenticator+passkey'],
};

const pairs = PROOFS.flatMap((a, i) => PROOFS.slice(i + 1).map((b) => [a, b] as const));

describe('recovery policy: which two proofs reset which factor', () => {
  for (const lost of LOST_FACTORS) {
    it.each(pairs)(`${lost}: %s + %s`, (a, b) => {
      const expected = ALLOWED[lost].includes(`${a}+${b}`) || ALLOWED[lost].includes(`${b}+${a}`);
      expect(resetAllowed(lost, [a, b])).toBe(expected);
      expect(resetAllowed(lost, [b, a])).toBe(expected);
    });
  }

  it('never accepts a recovery code alone, or with anything but an email or SMS code', () => {
    for (const lost of LOST_FACTORS) {
      expect(resetAllowed(lost, ['recovery_code'])).toBe(false);
      for (const other of ['trusted_device', 'authenticator', 'passkey'] as const) expect(resetAllowed(lost, ['recovery_code', other])).toBe(false);
    }
    expect(resetAllowed('phone', ['email_code', 'recovery_code'])).toBe(false);
    expect(resetAllowed('email', ['phone_code', 'recovery_code'])).toBe(false);
  });

  it('never accepts an SMS code plus an email code', () => {
    for (const lost of LOST_FACTORS) expect(resetAllowed(lost, ['phone_code', 'email_code'])).toBe(false);
  });

  it('never accepts one proof alone, or the same proof twice', () => {
    for (const lost of LOST_FACTORS) {
      for (const proof of PROOFS) {
        expect(resetAllowed(lost, [proof])).toBe(false);
        expect(resetAllowed(lost, [proof, proof])).toBe(false);
      }
    }
  });

  it('never lets the lost factor prove itself', () => {
    expect(resetAllowed('authenticator', ['email_code', 'authenticator'])).toBe(false);
    expect(resetAllowed('passkey', ['phone_code', 'passkey'])).toBe(false);
  });

  it('never accepts an SMS code with an authenticator code for a lost passkey (often the same lost phone)', () => {
    expect(resetAllowed('passkey', ['phone_code', 'authenticator'])).toBe(false);
    expect(resetAllowed('passkey', ['email_code', 'authenticator'])).toBe(true);
  });

  it('offers the second proofs the account actually has', () => {
    const full = { authenticator: true, passkeys: 1, trustedDevice: true, recoveryCodes: false };
    expect(nextProofs('authenticator', ['email_code'], full).sort()).toEqual(['passkey', 'trusted_device']);
    expect(nextProofs('passkey', ['email_code'], full).sort()).toEqual(['authenticator', 'trusted_device']);
    expect(nextProofs('passkey', ['phone_code'], full)).toEqual(['trusted_device']);
    expect(nextProofs('authenticator', ['email_code'], { ...full, passkeys: 0 })).toEqual(['trusted_device']);
    expect(nextProofs('passkey', ['phone_code'], { ...full, trustedDevice: false })).toEqual([]);
    // Recovery codes are offered for a lost authenticator or passkey, only when the account has some left.
    expect(nextProofs('authenticator', ['email_code'], { ...full, recoveryCodes: true }).sort()).toEqual(['passkey', 'recovery_code', 'trusted_device']);
    expect(nextProofs('passkey', ['phone_code'], { ...full, trustedDevice: false, recoveryCodes: true })).toEqual(['recovery_code']);
    expect(nextProofs('phone', ['email_code'], { ...full, recoveryCodes: true })).not.toContain('recovery_code');
    // A device approval that was the first proof is not asked for again.
    expect(nextProofs('authenticator', ['trusted_device'], full)).not.toContain('trusted_device');
  });
});

describe('recovery policy: an approved identity-document ticket', () => {
  it('resets any lost factor on its own: a new passkey, authenticator, phone number or email address', () => {
    for (const lost of LOST_FACTORS) expect(resetAllowed(lost, ['approved_ticket'])).toBe(true);
  });
});
