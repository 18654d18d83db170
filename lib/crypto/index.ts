import 'server-only';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * AES-256-GCM sealing for secrets at rest (authenticator secrets, document keys).
 * Layout: 12-byte IV | 16-byte tag | ciphertext. `context` is bound as associated data so a
 * ciphertext copied to another row or purpose does not decrypt.
 */
export function seal(key: Buffer, plaintext: Uint8Array, context: string): Uint8Array<ArrayBuffer> {
  assertKey(key);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  // A plain Uint8Array (own ArrayBuffer) is what Prisma's Bytes fields take.
  return new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), ciphertext]));
}

export function open(key: Buffer, sealed: Uint8Array, context: string): Buffer {
  assertKey(key);
  const data = Buffer.from(sealed);
  if (data.length < 28) throw new Error('Sealed value is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(data.subarray(12, 28));
  return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]);
}

/** Keyed hash for codes, identifiers and visitor ids (HMAC-SHA-256; docs/security.md rule 1). */
export function keyedHash(key: Buffer, ...parts: string[]): Buffer {
  const mac = createHmac('sha256', key);
  // Length-prefix each part so ("ab","c") and ("a","bc") differ.
  for (const part of parts) mac.update(`${Buffer.byteLength(part)}:${part}|`);
  return mac.digest();
}

/**
 * What logs say instead of a bearer value (a challenge id, a token): the same value always gives
 * the same reference, so lines can be matched up, but the reference opens nothing (docs/security.md
 * rule 26).
 */
export function logReference(key: Buffer, value: string): string {
  return keyedHash(key, 'log-reference', value).toString('base64url').slice(0, 16);
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function assertKey(key: Buffer) {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
}
