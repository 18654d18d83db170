import { createHmac } from 'node:crypto';

/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) on node:crypto. About forty lines of arithmetic, so we keep
 * it here rather than follow an OTP library's changing API. Pure functions: no clock, no I/O.
 */
export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export type OtpOptions = { digits?: number; algorithm?: OtpAlgorithm };

/** RFC 4226 §5.3: HMAC over the 8-byte big-endian counter, then dynamic truncation. */
export function hotp(secret: Buffer, counter: bigint | number, { digits = 6, algorithm = 'sha1' }: OtpOptions = {}): string {
  // RFC 4226 R4 asks for 6 digits at least; past 9 digits the 31-bit truncated value runs out.
  if (!Number.isInteger(digits) || digits < 6 || digits > 9) throw new RangeError('digits must be 6 to 9');
  const value = BigInt(counter);
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new RangeError('counter must fit in 64 unsigned bits');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(value);
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fff_ffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

/** RFC 6238 §4.2: T = floor((unix seconds - T0) / X). Whole seconds, as the RFC counts them. */
export function timeStep(time: Date, step = 30, t0 = 0): bigint {
  if (!Number.isInteger(step) || step <= 0) throw new RangeError('step must be a positive whole number of seconds');
  const seconds = Math.floor(time.getTime() / 1000) - t0;
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('time is before T0');
  return BigInt(Math.floor(seconds / step));
}

export function totp(secret: Buffer, options: OtpOptions & { time: Date; step?: number; t0?: number }): string {
  const { time, step = 30, t0 = 0, ...otp } = options;
  return hotp(secret, timeStep(time, step, t0), otp);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, without padding: authenticator apps and otpauth URIs expect none. */
export function base32Encode(data: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Tolerates what people type or paste: lower case, spaces, dashes and trailing padding. */
export function base32Decode(input: string): Buffer {
  const text = input.replace(/[\s-]/g, '').toUpperCase().replace(/=+$/, '');
  // 1, 3 or 6 leftover characters cannot come from whole bytes (RFC 4648 §6).
  if ([1, 3, 6].includes(text.length % 8)) throw new Error('Not valid base32: wrong length');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const index = ALPHABET.indexOf(char);
    if (index === -1) throw new Error('Not valid base32: unexpected character');
    buffer = (buffer << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return Buffer.from(out);
}

/**
 * The Key URI format authenticator apps scan (github.com/google/google-authenticator/wiki/Key-Uri-Format).
 * encodeURIComponent rather than URLSearchParams: apps read "+" literally, so a space must be %20.
 * The parameters are spelled out even though they are the defaults, so no app has to guess.
 */
export function otpauthUri({ secret, accountName, issuer }: { secret: Buffer; accountName: string; issuer: string }): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const query = [
    `secret=${base32Encode(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    'algorithm=SHA1',
    'digits=6',
    'period=30',
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}
