import { forbidden } from 'next/navigation';

/**
 * A console page the agent's role may not open answers HTTP 403 (docs/security.md rule 12), not a 200
 * with a refusal drawn on it: monitoring, proxies and scripts see a refusal for what it is. The page
 * calls refuseRole(); the segment's forbidden.tsx draws the refusal (RoleRefusedPage) in its words.
 * Needs experimental.authInterrupts (next.config.mjs).
 */
export function refuseRole(): never {
  forbidden();
}
