import { randomBytes } from 'node:crypto';
import { constantTimeEqual, keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { log } from '@/lib/log';
import { consumeRateLimit, type Limit, rateLimited } from '@/lib/limits';
import { HOST_API_PER_KEY } from '@/lib/limits/policy';

/**
 * Bearer keys for the host platform. A key is `rg_live_<prefix>_<secret>`: the prefix lets admins
 * tell keys apart, the secret is 32 random bytes. Only an HMAC of the whole key is stored (like
 * one-time codes, docs/security.md rule 1), so a database dump does not hand out working keys.
 */

/** Per key (lib/limits/policy.ts): generous for a host polling holds, small enough to blunt a leaked key being used for scraping. */
export const HOST_API_LIMIT: Limit = HOST_API_PER_KEY;

const KEY_PATTERN = /^rg_live_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'; // 32 symbols: one per 5 random bits, no bias

export async function createApiKey({
  db,
  hmacKey,
  name,
  createdById,
}: {
  db: Db;
  hmacKey: Buffer;
  name: string;
  createdById?: string;
}): Promise<{ id: string; prefix: string; key: string }> {
  const prefix = Array.from(randomBytes(8), (byte) => PREFIX_ALPHABET[byte & 31]).join('');
  const key = `rg_live_${prefix}_${randomBytes(32).toString('base64url')}`;
  const row = await db.apiKey.create({
    data: { name, prefix, keyHash: hashKey(hmacKey, key), createdById: createdById ?? null },
    select: { id: true },
  });
  // The only time the full key exists outside the caller's hands; it is shown once and never again.
  return { id: row.id, prefix, key };
}

/** `revoked` is false when no active key has that id (unknown, or revoked before). */
export async function revokeApiKey({ db, id, now }: { db: Db; id: string; now: Date }): Promise<{ revoked: boolean }> {
  const { count } = await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  return { revoked: count === 1 };
}

/**
 * Checks `Authorization: Bearer <key>` and returns the key's id. Every failure (missing header,
 * wrong scheme, malformed, unknown, revoked) gets the same 401, so a caller learns nothing about
 * which keys exist.
 */
export async function authenticateApiKey({
  db,
  hmacKey,
  authorization,
  now,
}: {
  db: Db;
  hmacKey: Buffer;
  authorization: string | null | undefined;
  now: Date;
}): Promise<string> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const key = match?.[1];
  if (!key || !KEY_PATTERN.test(key)) throw unauthorized('missing or malformed API key');
  const hash = hashKey(hmacKey, key);
  // Looking up by the HMAC means the secret itself is never compared byte by byte against stored
  // data; the final check is constant-time all the same.
  const row = await db.apiKey.findUnique({ where: { keyHash: hash }, select: { id: true, keyHash: true, revokedAt: true } });
  if (!row || !constantTimeEqual(row.keyHash, hash)) throw unauthorized('unknown API key');
  if (row.revokedAt && row.revokedAt.getTime() <= now.getTime()) throw unauthorized(`revoked API key ${row.id}`);
  await db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  return row.id;
}

/**
 * Authenticates a host request and counts it against the key's limit; throws 401 or 429
 * (with Retry-After) otherwise. The limit is per key, so one noisy integration cannot starve another.
 */
export async function authorizeHostRequest({
  db,
  hmacKey,
  authorization,
  now,
  limit = HOST_API_LIMIT,
}: {
  db: Db;
  hmacKey: Buffer;
  authorization: string | null | undefined;
  now: Date;
  limit?: Limit;
}): Promise<{ apiKeyId: string }> {
  const apiKeyId = await authenticateApiKey({ db, hmacKey, authorization, now });
  const decision = await consumeRateLimit(db, `api:key:${apiKeyId}`, limit, now);
  if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
  return { apiKeyId };
}

function hashKey(hmacKey: Buffer, key: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(keyedHash(hmacKey, 'api-key', key));
}

function unauthorized(internalMessage: string) {
  log.warn('api_key_rejected', { reason: internalMessage });
  return new AppError({ code: 'unauthorized', userMessage: 'A valid API key is required.', internalMessage });
}
