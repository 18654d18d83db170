// Every rate limit and failure limit by name, in one place (docs/security.md rules 3, 4, 14, 23).
// Tests read these numbers; change them here only. The counters are lib/limits/index.ts (rate
// limits) and lib/limits/failures.ts (failure limits).

export type Limit = { limit: number; windowSeconds: number };

/**
 * The longest a rate limit's growing cooldown gets (rule 4 asks for growth; rule 23 for a bound).
 * Send limits per destination can be spent by anyone who knows the address, so their wait must
 * stay bounded too: the owner is never refused for longer than this by a limit strangers drive.
 */
export const RATE_LIMIT_MAX_BLOCK_SECONDS = 240 * 60;

/**
 * Failures per identifier (from every client together) before its codes are locked (rule 3). The
 * lock is time-boxed (CODE_FAILURES.perSubject), never permanent: a counter anyone can drive must
 * not refuse the owner's correct code for longer than a bounded window (rule 23).
 */
export const MAX_CONSECUTIVE_FAILURES = 100;

/** Send limits (docs/security.md rule 4): exceeding any of them sends nothing and answers 429. */
export const SEND_LIMITS = {
  smsPerDestination: { limit: 5, windowSeconds: 3600 },
  voicePerDestination: { limit: 3, windowSeconds: 3600 },
  emailPerDestination: { limit: 5, windowSeconds: 3600 },
  perIdentifier: { limit: 10, windowSeconds: 3600 },
  perIp: { limit: 30, windowSeconds: 3600 },
} as const satisfies Record<string, Limit>;

/** Wrong codes per IP address across all challenges (docs/security.md rule 14). */
export const VERIFY_FAILURES_PER_IP: Limit = { limit: 30, windowSeconds: 900 };

/**
 * A failure limit with two tiers (lib/limits/failures.ts; docs/security.md rules 3, 14, 23):
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

/** Step-up tries of a signed-in session: only that session's holder can spend them. */
export const STEP_UP_PER_SESSION: Limit = { limit: 10, windowSeconds: 15 * MINUTE };

/** Passkey sign-in options per client address: each answer stores a challenge row. */
export const PASSKEY_OPTIONS_PER_IP: Limit = { limit: 60, windowSeconds: 15 * MINUTE };

/** Requests per host-platform API key: generous for a host, a ceiling for a leaked key. */
export const HOST_API_PER_KEY: Limit = { limit: 600, windowSeconds: 60 };

/** Second-proof tries per recovery reset, and contact-code sends per reset. */
export const RESET_LIMITS = {
  secondProofPerUser: { limit: 10, windowSeconds: HOUR },
  contactCodePerUser: { limit: 5, windowSeconds: HOUR },
} as const satisfies Record<string, Limit>;

/**
 * Identity-document tickets: openings per client (each sends mail to the typed address, rule 4),
 * replies per ticket, and uploads per ticket (each is decoded and re-encoded; a person needs a
 * handful of retries, not hundreds).
 */
export const TICKET_LIMITS = {
  openPerIp: { limit: 10, windowSeconds: HOUR },
  repliesPerTicket: { limit: 20, windowSeconds: HOUR },
  uploadsPerTicket: { limit: 40, windowSeconds: HOUR },
} as const satisfies Record<string, Limit>;

/**
 * Every named rate limit (the counters in lib/limits/index.ts). Failure limits (two tiers, per
 * client and per subject) are CODE_FAILURES and SIGN_IN_FAILURES above.
 */
export const RATE_LIMITS = {
  'send.sms.destination': SEND_LIMITS.smsPerDestination,
  'send.voice.destination': SEND_LIMITS.voicePerDestination,
  'send.email.destination': SEND_LIMITS.emailPerDestination,
  'send.identifier': SEND_LIMITS.perIdentifier,
  'send.ip': SEND_LIMITS.perIp,
  'verify.ip': VERIFY_FAILURES_PER_IP,
  'signin.ip': SIGN_IN_PER_IP,
  'signin.step-up': STEP_UP_PER_SESSION,
  'signin.passkey-options.ip': PASSKEY_OPTIONS_PER_IP,
  'api.key': HOST_API_PER_KEY,
  'vote.client.article': ARTICLE_VOTE_LIMITS.perClientPerArticle,
  'vote.client': ARTICLE_VOTE_LIMITS.perClient,
  'reset.second-proof': RESET_LIMITS.secondProofPerUser,
  'reset.contact-code': RESET_LIMITS.contactCodePerUser,
  'ticket.open.ip': TICKET_LIMITS.openPerIp,
  'ticket.reply': TICKET_LIMITS.repliesPerTicket,
  'ticket.upload': TICKET_LIMITS.uploadsPerTicket,
} as const satisfies Record<string, Limit>;

export type RateLimitName = keyof typeof RATE_LIMITS;
