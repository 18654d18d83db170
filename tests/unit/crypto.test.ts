import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, keyedHash, open, seal } from '@/lib/crypto';

const key = randomBytes(32);

describe('sealing secrets (AES-256-GCM)', () => {
  it('round-trips and uses a fresh IV each time', () => {
    const secret = Buffer.from('twenty-byte-secret!!');
    const a = seal(key, secret, 'totp:user:1');
    const b = seal(key, secret, 'totp:user:1');
    expect(Buffer.from(a).equals(b)).toBe(false);
    expect(open(key, a, 'totp:user:1').equals(secret)).toBe(true);
  });

  it('refuses a ciphertext moved to another context, a tampered one, or the wrong key', () => {
    const sealed = seal(key, Buffer.from('secret'), 'totp:user:1');
    expect(() => open(key, sealed, 'totp:user:2')).toThrow();
    const tampered = Uint8Array.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => open(key, tampered, 'totp:user:1')).toThrow();
    expect(() => open(randomBytes(32), sealed, 'totp:user:1')).toThrow();
  });

  it('keyed hashes separate their parts and depend on the key', () => {
    expect(keyedHash(key, 'ab', 'c').equals(keyedHash(key, 'a', 'bc'))).toBe(false);
    expect(keyedHash(key, 'x').equals(keyedHash(randomBytes(32), 'x'))).toBe(false);
    expect(constantTimeEqual(keyedHash(key, 'x'), keyedHash(key, 'x'))).toBe(true);
    expect(constantTimeEqual(keyedHash(key, 'x'), Buffer.alloc(3))).toBe(false);
  });
});
