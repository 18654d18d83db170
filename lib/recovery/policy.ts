/**
 * Which proofs reset which factor, as data (docs/security.md rule 10; ASVS 6.4.3-6.4.4; NIST 800-63B
 * §4.2.2). A reset needs two independent proofs, and never uses the lost factor to prove itself.
 * Email and phone codes are both "something you can receive": together they are not enough (a
 * stolen inbox plus a SIM swap is the classic takeover), so every pair here holds at least one
 * factor bound to a device the person controls (an authenticator app, a passkey, or a device that
 * is already signed in) or a recovery code the person printed or stored offline, which no inbox or
 * SIM holds. Everything else goes to identity-document recovery.
 */
export type LostFactor = 'passkey' | 'authenticator' | 'phone' | 'email';
export type Proof = 'email_code' | 'phone_code' | 'trusted_device' | 'authenticator' | 'passkey' | 'recovery_code' | 'approved_ticket';

export const LOST_FACTORS: readonly LostFactor[] = ['passkey', 'authenticator', 'phone', 'email'];

/** A lost factor named in a link or form (`/recover?lost=authenticator`), or undefined for anything else. */
export function parseLostFactor(value: unknown): LostFactor | undefined {
  return typeof value === 'string' && (LOST_FACTORS as readonly string[]).includes(value) ? (value as LostFactor) : undefined;
}

/**
 * The pairs that reset each factor at once (the help center's "account recovery policy" article
 * states the same table). A lost passkey accepts an authenticator code only with an EMAIL code:
 * the SMS number and the authenticator app usually live on the same phone, and a lost passkey
 * often means a lost phone. Lost phone or email access is a contact change: the new number or
 * address is then proved with a code sent to it before it replaces the old one. A recovery code
 * counts with an emailed or texted code for a lost authenticator or passkey, never on its own.
 */
export const RESET_POLICY: Readonly<Record<LostFactor, readonly (readonly [Proof, Proof])[]>> = {
  authenticator: [
    ['email_code', 'passkey'],
    ['phone_code', 'passkey'],
    ['email_code', 'trusted_device'],
    ['phone_code', 'trusted_device'],
    ['email_code', 'recovery_code'],
    ['phone_code', 'recovery_code'],
  ],
  passkey: [
    ['email_code', 'authenticator'],
    ['email_code', 'trusted_device'],
    ['phone_code', 'trusted_device'],
    ['email_code', 'recovery_code'],
    ['phone_code', 'recovery_code'],
  ],
  phone: [
    ['email_code', 'authenticator'],
    ['email_code', 'passkey'],
    ['email_code', 'trusted_device'],
    ['authenticator', 'passkey'],
  ],
  email: [
    ['phone_code', 'passkey'],
    ['phone_code', 'trusted_device'],
    ['authenticator', 'passkey'],
  ],
};

/**
 * Whether the proofs collected so far reset `lost` (order does not matter; extra proofs do no harm).
 * An identity-document ticket approved by an agent (and a second agent when high risk) stands on
 * its own (rule 10): its link then binds a new passkey, authenticator, phone number or email.
 */
export function resetAllowed(lost: LostFactor, proofs: readonly Proof[]): boolean {
  const have = new Set(proofs);
  if (have.has('approved_ticket')) return true;
  return RESET_POLICY[lost].some(([a, b]) => a !== b && have.has(a) && have.has(b));
}

/**
 * What to ask for next: the second proofs that would complete a pair with what the person already
 * proved and what the account has. Empty means identity-document recovery is the way.
 */
export function nextProofs(
  lost: LostFactor,
  proved: readonly Proof[],
  account: { authenticator: boolean; passkeys: number; trustedDevice: boolean; recoveryCodes: boolean },
): Proof[] {
  const has: Record<Proof, boolean> = {
    email_code: true,
    phone_code: true,
    trusted_device: account.trustedDevice,
    authenticator: account.authenticator,
    passkey: account.passkeys > 0,
    recovery_code: account.recoveryCodes,
    approved_ticket: false,
  };
  const next = new Set<Proof>();
  for (const [a, b] of RESET_POLICY[lost]) {
    if (proved.includes(a) && !proved.includes(b) && has[b]) next.add(b);
    if (proved.includes(b) && !proved.includes(a) && has[a]) next.add(a);
  }
  return [...next];
}

/**
 * Identity-document tickets opened without a verified recovery code, across the whole service, per
 * hour. Each costs a reviewer's time and sends a code to a typed address, so a flood must not fill
 * the queue or turn the form into a mail relay; when the budget is spent the form says so and
 * /api/health reports "degraded" (README, "Identity documents").
 */
export const UNVERIFIED_TICKETS_PER_HOUR = 100;

/**
 * How long a new ticket waits for its contact address to be confirmed with a code before
 * housekeeping expires it. It is not in the queue meanwhile.
 */
export const CONTACT_CONFIRM_MINUTES = 60;

/** docs/security.md rule 27: the cancel window's default lives with the configuration that overrides it. */
export { DEFAULT_CANCEL_WINDOW_HOURS } from '@/lib/config/defaults';
