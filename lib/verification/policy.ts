// The rules of one-time codes in one place (security.md "One-time codes"; NIST SP 800-63B §3.1.3,
// ASVS 6.5 and 6.6). Tests read these numbers; change them here only.

/** A code lives 10 minutes (ASVS 6.5.1). */
export const CODE_TTL_SECONDS = 10 * 60;
/** Wrong codes before a challenge is dead (NIST §3.2.2 asks for a limit; we use 5). */
export const MAX_ATTEMPTS = 5;
/**
 * Failures per identifier (from every client together) before its codes are locked (rule 3). The
 * lock is time-boxed (CODE_FAILURES.perSubject), never permanent: a counter anyone can drive must
 * not refuse the owner's correct code for longer than a bounded window (rule 23).
 */
export const MAX_CONSECUTIVE_FAILURES = 100;
/** Waits before "Didn't get the code?" may send again: grows with every send. */
export const RESEND_COOLDOWN_SECONDS = [30, 60, 120, 300, 600] as const;

export function resendCooldownSeconds(sendCount: number) {
  return RESEND_COOLDOWN_SECONDS[Math.min(Math.max(sendCount - 1, 0), RESEND_COOLDOWN_SECONDS.length - 1)]!;
}

export type Limit = { limit: number; windowSeconds: number };

/** Send limits (security.md rule 4): exceeding any of them sends nothing and answers 429. */
export const SEND_LIMITS = {
  smsPerDestination: { limit: 5, windowSeconds: 3600 },
  voicePerDestination: { limit: 3, windowSeconds: 3600 },
  emailPerDestination: { limit: 5, windowSeconds: 3600 },
  perIdentifier: { limit: 10, windowSeconds: 3600 },
  perIp: { limit: 30, windowSeconds: 3600 },
} as const satisfies Record<string, Limit>;

/**
 * The longest a rate limit's growing cooldown gets (rule 4 asks for growth; rule 23 for a bound).
 * Send limits per destination can be spent by anyone who knows the address, so their wait must
 * stay bounded too: the owner is never refused for longer than this by a limit strangers drive.
 */
export const RATE_LIMIT_MAX_BLOCK_SECONDS = 240 * 60;

/** Wrong codes per IP address across all challenges (security.md rule 14). */
export const VERIFY_FAILURES_PER_IP: Limit = { limit: 30, windowSeconds: 900 };

/** Trusted-device approvals expire sooner than codes: the request is live on a screen. */
export const APPROVAL_TTL_SECONDS = 5 * 60;
/**
 * A device approval is a proof only from a session that authenticated this recently; an older one
 * steps up (authenticator code or passkey) at approval time (security.md rule 22).
 */
export const APPROVER_FRESH_MINUTES = 15;

/**
 * A failure limit with two tiers (lib/verification/failures.ts; security.md rules 3, 14, 23):
 *
 * - perClient: failures by one client (IP address) against one subject (an identifier, a ticket, an
 *   account). Reaching `limit` within `windowSeconds` blocks that client for `lockSeconds`, doubling
 *   with every repeat up to `maxLockSeconds`. This is the tier that punishes the guesser.
 * - perSubject: failures by every client together. Reaching `limit` locks the subject for
 *   `lockSeconds`, doubling with every repeat up to `maxLockSeconds`: time-boxed, never permanent.
 *   While it is locked, clients that have not failed against the subject in their window still get
 *   `triesWhileLocked` tries in total (so the owner, on their own device, can still get in), and
 *   clients that have failed wait until the lock ends.
 *
 * Lock lengths are remembered (they keep doubling) until a lock ended `forgetAfterSeconds` ago.
 */
export type FailureTier = { limit: number; windowSeconds: number; lockSeconds: number; maxLockSeconds: number };
export type FailurePolicy = { perClient: FailureTier; perSubject: FailureTier; triesWhileLocked: number; forgetAfterSeconds: number };

const MINUTE = 60;
const HOUR = 3600;

/**
 * Recovery codes, ticket-status codes and video-call join codes. A client gets 10 wrong codes an hour
 * per identifier (two dead challenges), then waits 1 h, 2 h, ... up to 24 h. An identifier takes
 * 100 failures a day (rule 3), then locks for 15, 30, 60, 120 and at most 240 minutes.
 */
export const CODE_FAILURES: FailurePolicy = {
  perClient: { limit: 10, windowSeconds: HOUR, lockSeconds: HOUR, maxLockSeconds: 24 * HOUR },
  perSubject: { limit: MAX_CONSECUTIVE_FAILURES, windowSeconds: 24 * HOUR, lockSeconds: 15 * MINUTE, maxLockSeconds: 240 * MINUTE },
  triesWhileLocked: 10,
  forgetAfterSeconds: 24 * HOUR,
};

/**
 * Password sign-in for account holders and agents (rule 14). A client gets 5 failed sign-ins per
 * account per 15 minutes, then waits 15 minutes, doubling up to 24 h. An account takes 10 failures
 * per 15 minutes from everyone, then locks for 15, 30, 60, 120 and at most 240 minutes; during a
 * lock each client with no failures gets one try (10 such tries per lock at most), so the owner's
 * right password and second factor from their own device still work.
 */
export const SIGN_IN_FAILURES: FailurePolicy = {
  perClient: { limit: 5, windowSeconds: 15 * MINUTE, lockSeconds: 15 * MINUTE, maxLockSeconds: 24 * HOUR },
  perSubject: { limit: 10, windowSeconds: 15 * MINUTE, lockSeconds: 15 * MINUTE, maxLockSeconds: 240 * MINUTE },
  triesWhileLocked: 10,
  forgetAfterSeconds: 24 * HOUR,
};

/** Sign-in attempts per IP address across accounts (rule 14): counts every try, right or wrong. */
export const SIGN_IN_PER_IP: Limit = { limit: 30, windowSeconds: 15 * MINUTE };

/**
 * Help-center votes and their comments, per client address: without a limit a script that drops
 * its cookie casts as many votes as it likes. Three per article and 30 in all an hour leave room for
 * a household or office behind one address and none for stuffing.
 */
export const ARTICLE_VOTE_LIMITS = {
  perClientPerArticle: { limit: 3, windowSeconds: HOUR },
  perClient: { limit: 30, windowSeconds: HOUR },
} as const satisfies Record<string, Limit>;
