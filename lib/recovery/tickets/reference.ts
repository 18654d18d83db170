import { randomInt } from 'node:crypto';
import { validationError } from '@/lib/errors';

/**
 * Ticket references people read aloud, type from an email and quote to Support: "RG-7K4M-2Q9X".
 * Eight characters from 30 that cannot be mistaken for one another (no 0, O, 1, I, L or U) give
 * about 39 bits from the CSPRNG. A reference is a handle, not a secret:
 * seeing a ticket also takes a code sent to its contact address.
 */
export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const BODY_LENGTH = 8;

export function generateReference(random: (max: number) => number = randomInt): string {
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i++) body += REFERENCE_ALPHABET[random(REFERENCE_ALPHABET.length)];
  return `RG-${body.slice(0, 4)}-${body.slice(4)}`;
}

/**
 * What people type: any case, with or without "RG", dashes or spaces. A reference that cannot be
 * one is a field error (it says nothing about which tickets exist); one that could be is returned
 * in the stored form.
 */
export function parseReference(input: string): string {
  let compact = input.toUpperCase().replace(/[\s\-–—_.]/g, '');
  if (compact.length === BODY_LENGTH + 2 && compact.startsWith('RG')) compact = compact.slice(2);
  if (compact.length !== BODY_LENGTH || [...compact].some((c) => !REFERENCE_ALPHABET.includes(c))) {
    throw validationError({ reference: ['Check the reference: it looks like RG-7K4M-2Q9X and is in the email we sent you.'] });
  }
  return `RG-${compact.slice(0, 4)}-${compact.slice(4)}`;
}
