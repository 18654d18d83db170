// The rules of one-time codes in one place (docs/security.md "One-time codes"; NIST SP 800-63B §3.1.3,
// ASVS 6.5 and 6.6). Tests read these numbers; change them here only. Rate and failure limits are
// named in lib/limits/policy.ts and re-exported here for the code that reads them with the codes.

/** A code lives 10 minutes (ASVS 6.5.1). */
export const CODE_TTL_SECONDS = 10 * 60;
/** Wrong codes before a challenge is dead (NIST §3.2.2 asks for a limit; we use 5). */
export const MAX_ATTEMPTS = 5;
/** Waits before "Didn't get the code?" may send again: grows with every send. */
export const RESEND_COOLDOWN_SECONDS = [30, 60, 120, 300, 600] as const;

export function resendCooldownSeconds(sendCount: number) {
  return RESEND_COOLDOWN_SECONDS[Math.min(Math.max(sendCount - 1, 0), RESEND_COOLDOWN_SECONDS.length - 1)]!;
}

/** Trusted-device approvals expire sooner than codes: the request is live on a screen. */
export const APPROVAL_TTL_SECONDS = 5 * 60;
/**
 * A device approval is a proof only from a session that authenticated this recently; an older one
 * steps up (authenticator code or passkey) at approval time (docs/security.md rule 22).
 */
export const APPROVER_FRESH_MINUTES = 15;

export {
  ARTICLE_VOTE_LIMITS,
  CODE_FAILURES,
  type FailurePolicy,
  type FailureTier,
  type Limit,
  MAX_CONSECUTIVE_FAILURES,
  RATE_LIMIT_MAX_BLOCK_SECONDS,
  SEND_LIMITS,
  SIGN_IN_FAILURES,
  SIGN_IN_PER_IP,
  VERIFY_FAILURES_PER_IP,
} from '@/lib/limits/policy';
