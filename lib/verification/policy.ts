// The rules of one-time codes in one place (security.md "One-time codes"; NIST SP 800-63B §3.1.3,
// ASVS 6.5 and 6.6). Tests read these numbers; change them here only.

/** A code lives 10 minutes (ASVS 6.5.1). */
export const CODE_TTL_SECONDS = 10 * 60;
/** Wrong codes before a challenge is dead (NIST §3.2.2 asks for a limit; we use 5). */
export const MAX_ATTEMPTS = 5;
/** Consecutive failures per identifier before its codes are locked pending re-verification. */
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

/** Wrong codes per IP address across all challenges (security.md rule 14). */
export const VERIFY_FAILURES_PER_IP: Limit = { limit: 30, windowSeconds: 900 };

/** Trusted-device approvals expire sooner than codes: the request is live on a screen. */
export const APPROVAL_TTL_SECONDS = 5 * 60;
