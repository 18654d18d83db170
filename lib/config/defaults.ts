// Defaults that configuration falls back to and the code that uses them also reads. Plain values,
// no imports, so lib/config depends on no capability (docs/architecture.md: dependencies point
// one way).

/**
 * docs/security.md rule 27: how long an approval made on identity documents alone waits for the
 * account owner's "This wasn't me" before it changes anything (TICKET_CANCEL_WINDOW_HOURS).
 */
export const DEFAULT_CANCEL_WINDOW_HOURS = 24;
