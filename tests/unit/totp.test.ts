import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, otpauthUri, timeStep, totp } from '@/lib/authenticator/totp';

// Test vectors from docs/security.md (RFC 4226 Appendix D, RFC 6238 Appendix B).
const SHA1_SECRET = Buffer.from('12345678901234567890', 'ascii');
const SHA256_SECRET = Buffer.from('12345678901234567890123456789012', 'ascii');
const SHA512_SECRET = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii');

describe('HOTP (RFC 4226 Appendix D)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  it.each(expected.map((code, counter) => [counter, code] as const))('counter %i → %s', (counter, code) => {
    expect(hotp(SHA1_SECRET, counter)).toBe(code);
    expect(hotp(SHA1_SECRET, BigInt(counter))).toBe(code);
  });

  it('refuses fewer than 6 digits and negative counters', () => {
    expect(() => hotp(SHA1_SECRET, 0, { digits: 4 })).toThrow(RangeError);
    expect(() => hotp(SHA1_SECRET, -1)).toThrow(RangeError);
  });
});

describe('TOTP (RFC 6238 Appendix B, T0 = 0, X = 30, 8 digits)', () => {
  const table = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ] as const;
  const rows = table.flatMap(([seconds, sha1, sha256, sha512]) => [
    [seconds, 'sha1', SHA1_SECRET, sha1],
    [seconds, 'sha256', SHA256_SECRET, sha256],
    [seconds, 'sha512', SHA512_SECRET, sha512],
  ] as const);

  it.each(rows)('at %i s with %s', (seconds, algorithm, secret, code) => {
    expect(totp(secret, { time: new Date(seconds * 1000), step: 30, t0: 0, digits: 8, algorithm })).toBe(code);
  });

  it('defaults to SHA-1, 6 digits and 30-second steps (the last 6 digits of the SHA-1 vector)', () => {
    expect(totp(SHA1_SECRET, { time: new Date(59_000) })).toBe('287082');
    expect(totp(SHA1_SECRET, { time: new Date(1111111109_000) })).toBe('081804');
  });
});

describe('timeStep', () => {
  it.each([
    [0, 0n],
    [29_999, 0n],
    [30_000, 1n],
    [59_999, 1n],
    [60_000, 2n],
    [1111111109_000, 37037036n],
    [1111111111_000, 37037037n],
    [20000000000_000, 666666666n],
  ])('%i ms → step %s', (ms, step) => {
    expect(timeStep(new Date(ms), 30)).toBe(step);
  });

  it('honours T0 and the step length', () => {
    expect(timeStep(new Date(100_000), 30, 10)).toBe(3n);
    expect(timeStep(new Date(119_999), 60)).toBe(1n);
    expect(timeStep(new Date(120_000), 60)).toBe(2n);
  });
});

describe('base32 (RFC 4648 §10)', () => {
  const vectors = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ] as const;

  it.each(vectors)('%j ↔ %s (no padding on output)', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(plain);
  });

  it.each([
    ['MY======', 'f'],
    ['MZXW6YTBOI======', 'foobar'],
    ['mzxw 6ytb oi', 'foobar'],
    ['  mzxw-6ytb-oi  ', 'foobar'],
  ])('decodes the padded, spaced or lower-case form %j', (encoded, plain) => {
    expect(base32Decode(encoded).toString()).toBe(plain);
  });

  it('round-trips random secrets of every length', () => {
    for (let length = 0; length <= 40; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 97 + length * 13) & 0xff));
      expect(base32Decode(base32Encode(bytes)).equals(bytes)).toBe(true);
    }
  });

  it('matches the demo key documented in prisma/seed.ts', () => {
    expect(base32Encode(Buffer.from('regain-demo-totp-key', 'utf8'))).toBe('OJSWOYLJNYWWIZLNN4WXI33UOAWWWZLZ');
  });

  it.each(['MZXW1', 'MZXW6YT!', 'M', 'MZX'])('refuses %j', (encoded) => {
    expect(() => base32Decode(encoded)).toThrow();
  });
});

describe('otpauth URI (Key URI format)', () => {
  it('encodes spaces as %20 and @ in the label and the issuer', () => {
    const uri = otpauthUri({ secret: SHA1_SECRET, accountName: 'ada lovelace@example.com', issuer: 'Regain Exchange' });
    expect(uri).toBe(
      'otpauth://totp/Regain%20Exchange:ada%20lovelace%40example.com' +
        '?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Regain%20Exchange&algorithm=SHA1&digits=6&period=30',
    );
    expect(uri).not.toContain('+');
  });

  it('keeps a colon or ampersand in a name from breaking the label or the query', () => {
    const uri = new URL(otpauthUri({ secret: SHA1_SECRET, accountName: 'a:b&c=d', issuer: 'R&D: Regain' }));
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/R&D: Regain:a:b&c=d');
    expect(uri.pathname.split(':')).toHaveLength(2);
    expect(uri.searchParams.get('issuer')).toBe('R&D: Regain');
    expect(uri.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });
});
