import { randomInt } from 'node:crypto';
import { constantTimeEqual, keyedHash } from '@/lib/crypto';

/** Six digits from the CSPRNG (docs/security.md rule 1; NIST §3.1.3.1: at least 20 bits). */
export function generateCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Stored instead of the code: HMAC-SHA-256 under the server key, bound to one challenge. */
export function hashCode(hmacKey: Buffer, challengeId: string, code: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(keyedHash(hmacKey, 'verification-code', challengeId, code));
}

export function codeMatches(hmacKey: Buffer, challengeId: string, code: string, stored: Uint8Array | null): boolean {
  const candidate = hashCode(hmacKey, challengeId, code);
  // A decoy has no code at all; compare anyway so both paths do the same work.
  return constantTimeEqual(candidate, stored ?? new Uint8Array(candidate.length)) && stored !== null;
}

/** Accepts what people paste: spaces, dashes and the like around the six digits. */
export function normalizeCode(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : undefined;
}
