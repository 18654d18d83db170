import { z } from 'zod';

export type Identifier = { kind: 'email'; value: string } | { kind: 'phone'; value: string };

// No control characters, markup characters or bidi overrides: they have no place in an address,
// and a masked address is shown back to the person.
const NOT_IN_ADDRESS = String.raw`\s@\u0000-\u001f\u007f<>"\u202a-\u202e\u2066-\u2069`;
const EMAIL = new RegExp(`^[^${NOT_IN_ADDRESS}]{1,64}@[^${NOT_IN_ADDRESS}]+\\.[^${NOT_IN_ADDRESS}]{2,}$`);

/** Whether a typed sign-in address could be stored at all (a NUL would make the lookup fail). */
export function plausibleEmail(value: string) {
  return !/[\u0000-\u001f\u007f]/.test(value);
}

/** What a person types on "Can't sign in?": an email address or a phone number with country code. */
export const identifierInput = z
  .string({ message: 'Enter your email address or phone number.' })
  .trim()
  .min(1, { message: 'Enter your email address or phone number.' })
  .max(254, { message: 'That is too long for an email address or phone number.' })
  .transform((raw, ctx): Identifier => {
    if (raw.includes('@')) {
      const value = raw.toLowerCase();
      if (!EMAIL.test(value)) {
        ctx.addIssue({ code: 'custom', message: 'Enter a valid email address, like name@example.com.' });
        return z.NEVER;
      }
      return { kind: 'email', value };
    }
    const digits = raw.replace(/[\s().-]/g, '');
    if (!/^\+?\d+$/.test(digits)) {
      ctx.addIssue({ code: 'custom', message: 'Enter an email address, or a phone number using digits only.' });
      return z.NEVER;
    }
    if (!digits.startsWith('+')) {
      ctx.addIssue({ code: 'custom', message: 'Include your country code, starting with +, for example +44 7700 900123.' });
      return z.NEVER;
    }
    if (!/^\+[1-9]\d{7,14}$/.test(digits)) {
      ctx.addIssue({ code: 'custom', message: 'That phone number does not look complete. Check the country code and number.' });
      return z.NEVER;
    }
    return { kind: 'phone', value: digits };
  });

// Country calling codes of one digit (NANP and Russia/Kazakhstan); most others have two or three.
const ONE_DIGIT_CODES = new Set(['1', '7']);

/** "+15555550123" → "+1 ••• ••• 01 23": enough to recognise your own number, not to learn it. */
export function maskPhone(phone: string) {
  const digits = phone.replace(/^\+/, '');
  const cc = ONE_DIGIT_CODES.has(digits[0]!) ? digits.slice(0, 1) : digits.slice(0, 2);
  const last = digits.slice(-4);
  return `+${cc} ••• ••• ${last.slice(0, 2)} ${last.slice(2)}`;
}

/** "ada@example.com" → "a•••@example.com". */
export function maskEmail(email: string) {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}•••@${domain}`;
}
