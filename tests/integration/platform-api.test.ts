import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginAuthenticatorSetup, confirmAuthenticatorSetup } from '@/lib/authenticator';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { getPrisma } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { startHold } from '@/lib/holds';
import { getAccountSecurityForHost } from '@/lib/platform/account-security';
import { authenticateApiKey, authorizeHostRequest, createApiKey, HOST_API_LIMIT, revokeApiKey } from '@/lib/platform/api-keys';
import { fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';

const { db, url } = await useTestDatabase();
const hmacKey = randomBytes(32);

// The route handler reads its database and HMAC key through getConfig(), like in production; point
// that configuration at this file's database before the first request.
Object.assign(process.env, {
  DATABASE_URL: url,
  HMAC_KEY: hmacKey.toString('base64'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  AUTH_SECRET: randomBytes(32).toString('hex'),
});
const { GET } = await import('@/app/api/v1/accounts/[accountId]/hold/route');
const { GET: getSecurity } = await import('@/app/api/v1/accounts/[accountId]/security/route');
afterAll(async () => {
  await getPrisma().$disconnect();
});

async function expectUnauthorized(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).status).toBe(401);
  expect((error as AppError).userMessage).toBe('A valid API key is required.');
}

describe('API keys', () => {
  it('stores only a keyed hash of the key', async () => {
    const { id, prefix, key } = await createApiKey({ db, hmacKey, name: 'exchange backend' });
    expect(key).toMatch(new RegExp(`^rg_live_${prefix}_[A-Za-z0-9_-]{43}$`));
    expect(prefix).toHaveLength(8);
    const row = await db.apiKey.findUniqueOrThrow({ where: { id } });
    expect(row.keyHash).toHaveLength(32);
    const secret = key.slice(`rg_live_${prefix}_`.length);
    const dump = JSON.stringify({ ...row, keyHash: Buffer.from(row.keyHash).toString('latin1') });
    expect(dump).not.toContain(secret);
    expect(Buffer.from(row.keyHash).toString('base64url')).not.toContain(secret);
    expect(Buffer.from(row.keyHash).toString('hex')).not.toContain(Buffer.from(secret).toString('hex'));
  });

  it('authenticates a valid key and records when it was used', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const { id, key } = await createApiKey({ db, hmacKey, name: 'exchange backend' });
    expect((await db.apiKey.findUniqueOrThrow({ where: { id } })).lastUsedAt).toBeNull();
    expect(await authenticateApiKey({ db, hmacKey, authorization: `Bearer ${key}`, now: clock.now() })).toBe(id);
    expect((await db.apiKey.findUniqueOrThrow({ where: { id } })).lastUsedAt).toEqual(clock.now());
    clock.advance(60);
    await authenticateApiKey({ db, hmacKey, authorization: `bearer  ${key}`, now: clock.now() });
    expect((await db.apiKey.findUniqueOrThrow({ where: { id } })).lastUsedAt).toEqual(clock.now());
  });

  it('refuses wrong, revoked, missing and malformed keys with the same 401', async () => {
    const now = new Date('2026-05-01T10:00:00Z');
    const { id, key, prefix } = await createApiKey({ db, hmacKey, name: 'to revoke' });
    const other = await createApiKey({ db, hmacKey, name: 'other' });
    const wrongSecret = `rg_live_${prefix}_${randomBytes(32).toString('base64url')}`;
    const cases: (string | null)[] = [
      `Bearer ${wrongSecret}`,
      `Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`,
      null,
      '',
      'Bearer',
      `Basic ${key}`,
      key, // no scheme
      `Bearer ${key}x`,
      `Bearer rg_live_${prefix}`,
    ];
    for (const authorization of cases) await expectUnauthorized(authenticateApiKey({ db, hmacKey, authorization, now }));
    // A key hashed with another HMAC key (e.g. a copied row from another deployment) does not work here.
    await expectUnauthorized(authenticateApiKey({ db, hmacKey: randomBytes(32), authorization: `Bearer ${key}`, now }));

    expect(await authenticateApiKey({ db, hmacKey, authorization: `Bearer ${key}`, now })).toBe(id);
    expect(await revokeApiKey({ db, id, now })).toEqual({ revoked: true });
    await expectUnauthorized(authenticateApiKey({ db, hmacKey, authorization: `Bearer ${key}`, now }));
    // Revoking again, or an id that is no key, changes nothing and says so (the command reports it).
    expect(await revokeApiKey({ db, id, now })).toEqual({ revoked: false });
    expect(await revokeApiKey({ db, id: randomUUID(), now })).toEqual({ revoked: false });
    // Revoking one key leaves the others working.
    expect(await authenticateApiKey({ db, hmacKey, authorization: `Bearer ${other.key}`, now })).toBe(other.id);
  });

  it('limits requests per key and answers 429 with Retry-After after the limit', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const limit = { limit: 3, windowSeconds: 60 };
    const a = await createApiKey({ db, hmacKey, name: 'a' });
    const b = await createApiKey({ db, hmacKey, name: 'b' });
    const call = (key: string) => authorizeHostRequest({ db, hmacKey, authorization: `Bearer ${key}`, now: clock.now(), limit });
    for (let i = 0; i < 3; i++) await call(a.key);
    const error = await call(a.key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(429);
    expect((error as AppError).retryAfterSeconds).toBe(60);
    // Per key: another key is unaffected.
    await expect(call(b.key)).resolves.toEqual({ apiKeyId: b.id });
    clock.advance(61);
    await expect(call(a.key)).resolves.toEqual({ apiKeyId: a.id });
  });
});

describe('GET /api/v1/accounts/:accountId/hold', () => {
  let key: string;
  beforeAll(async () => {
    ({ key } = await createApiKey({ db, hmacKey, name: 'route' }));
  });

  async function get(accountId: string, authorization: string | null = `Bearer ${key}`) {
    const headers = new Headers();
    if (authorization !== null) headers.set('authorization', authorization);
    const response = await GET(new Request(`http://localhost/api/v1/accounts/${accountId}/hold`, { headers }), {
      params: Promise.resolve({ accountId }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  it('reports a held account with its end and scope', async () => {
    const user = await createUser(db);
    const { endsAt } = await startHold({ db, userId: user.id, reason: 'AUTHENTICATOR_RESET', now: new Date() });
    const response = await get(user.id);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({ accountId: user.id, held: true, endsAt: endsAt.toISOString(), scope: ['withdrawals', 'p2p_trading'] });
  });

  it('answers an unknown account exactly like a known account without a hold', async () => {
    const user = await createUser(db);
    const known = await get(user.id);
    const unknownId = randomUUID();
    const unknown = await get(unknownId);
    expect(known.status).toBe(200);
    expect(known.body).toEqual({ accountId: user.id, held: false, endsAt: null, scope: [] });
    expect(unknown.status).toBe(known.status);
    expect(unknown.body).toEqual({ ...known.body, accountId: unknownId });
    expect(unknown.headers.get('cache-control')).toBe('no-store');
  });

  it('rejects a malformed account id with 422', async () => {
    for (const bad of ['not-a-uuid', '123', `${randomUUID()}x`, "' OR 1=1 --"]) {
      const response = await get(bad);
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ error: { code: 'validation_failed' } });
    }
  });

  it('requires a valid API key (401 before anything else)', async () => {
    const user = await createUser(db);
    await startHold({ db, userId: user.id, reason: 'PASSKEY_RESET', now: new Date() });
    const revoked = await createApiKey({ db, hmacKey, name: 'revoked' });
    await revokeApiKey({ db, id: revoked.id, now: new Date() });
    for (const authorization of [null, 'Bearer nope', `Bearer ${revoked.key}`]) {
      for (const id of [user.id, 'not-a-uuid']) {
        const response = await get(id, authorization);
        expect(response.status).toBe(401);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.body).toEqual({ error: { code: 'unauthorized', message: 'A valid API key is required.' } });
      }
    }
  });

  it(`answers 429 with Retry-After after ${HOST_API_LIMIT.limit} requests a minute per key`, async () => {
    const { key: busy } = await createApiKey({ db, hmacKey, name: 'busy' });
    const { key: quiet } = await createApiKey({ db, hmacKey, name: 'quiet' });
    const id = randomUUID();
    const statuses: number[] = [];
    // Batches of parallel requests; the limiter locks its row, so none slip past together.
    for (let sent = 0; sent < HOST_API_LIMIT.limit; sent += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => get(id, `Bearer ${busy}`)));
      statuses.push(...batch.map((r) => r.status));
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    const limited = await get(id, `Bearer ${busy}`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await get(id, `Bearer ${quiet}`)).status).toBe(200);
  });
});

// ───────────────────────────── Account security ─────────────────────────────

/** A confirmed authenticator through the real setup flow: the first code from the setup key. */
async function linkAuthenticator(userId: string) {
  const encryptionKey = randomBytes(32);
  const now = new Date();
  const owner = { userId };
  const setup = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'host-api@example.com' });
  const code = totp(base32Decode(setup.setupKey), { time: now });
  await confirmAuthenticatorSetup({ db, encryptionKey, owner, authenticatorId: setup.authenticatorId, code, now });
}

/** A stored passkey row; registration itself is covered by the passkey tests. */
async function addPasskey(userId: string, name: string) {
  await db.passkeyCredential.create({
    data: { userId, credentialId: randomBytes(16).toString('base64url'), publicKey: randomBytes(77), deviceType: 'multiDevice', name },
  });
}

/** An account with nothing set up: no verified email, no phone, no factor, no hold. */
async function bareAccount() {
  const user = await createUser(db, { phone: null });
  await db.user.update({ where: { id: user.id }, data: { emailVerifiedAt: null } });
  return user;
}

describe('getAccountSecurityForHost', () => {
  it('reports the factors set up and the hold in force', async () => {
    const now = new Date('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    await linkAuthenticator(user.id);
    await addPasskey(user.id, 'MacBook');
    await addPasskey(user.id, 'YubiKey');
    await startHold({ db, userId: user.id, reason: 'PASSKEY_RESET', now });

    expect(await getAccountSecurityForHost({ db, accountId: user.id, now })).toEqual({
      accountId: user.id,
      factors: { authenticator: true, passkeys: 2, email: { verified: true }, phone: { verified: true } },
      hold: { held: true, endsAt: '2026-05-02T10:00:00.000Z', scope: ['withdrawals', 'p2p_trading'] },
    });
    // Once the hold has ended the factors are unchanged and the hold reads as none.
    const later = new Date('2026-05-02T10:00:00Z');
    expect((await getAccountSecurityForHost({ db, accountId: user.id, now: later })).hold).toEqual({ held: false, endsAt: null, scope: [] });
  });

  it('tells a phone number on file but not verified from no phone at all', async () => {
    const now = new Date();
    const unverified = await createUser(db, { phoneVerified: false });
    const noPhone = await createUser(db, { phone: null });
    expect((await getAccountSecurityForHost({ db, accountId: unverified.id, now })).factors.phone).toEqual({ verified: false });
    expect((await getAccountSecurityForHost({ db, accountId: noPhone.id, now })).factors.phone).toBeNull();
  });

  it('answers an unknown id exactly like an account with nothing set up', async () => {
    const now = new Date();
    const bare = await bareAccount();
    const unknownId = randomUUID();
    const known = await getAccountSecurityForHost({ db, accountId: bare.id, now });
    const unknown = await getAccountSecurityForHost({ db, accountId: unknownId, now });
    expect(known).toEqual({
      accountId: bare.id,
      factors: { authenticator: false, passkeys: 0, email: { verified: false }, phone: null },
      hold: { held: false, endsAt: null, scope: [] },
    });
    expect(unknown).toEqual({ ...known, accountId: unknownId });
  });

  it('never includes contact details or credential data', async () => {
    const user = await createUser(db);
    await linkAuthenticator(user.id);
    await addPasskey(user.id, 'Pixel');
    const body = JSON.stringify(await getAccountSecurityForHost({ db, accountId: user.id, now: new Date() }));
    const credential = await db.passkeyCredential.findFirstOrThrow({ where: { userId: user.id } });
    for (const secret of [user.email, user.phone!, user.displayName, credential.credentialId, 'Pixel']) expect(body).not.toContain(secret);
  });
});

describe('GET /api/v1/accounts/:accountId/security', () => {
  let key: string;
  beforeAll(async () => {
    ({ key } = await createApiKey({ db, hmacKey, name: 'security route' }));
  });

  async function get(accountId: string, authorization: string | null = `Bearer ${key}`) {
    const headers = new Headers();
    if (authorization !== null) headers.set('authorization', authorization);
    const response = await getSecurity(new Request(`http://localhost/api/v1/accounts/${accountId}/security`, { headers }), {
      params: Promise.resolve({ accountId }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  it('answers with the factors and the hold, not cached', async () => {
    const user = await createUser(db);
    await linkAuthenticator(user.id);
    await addPasskey(user.id, 'iPhone');
    const { endsAt } = await startHold({ db, userId: user.id, reason: 'AUTHENTICATOR_RESET', now: new Date() });
    // Upper case is the same id: UUIDs are case-insensitive.
    const response = await get(user.id.toUpperCase());
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({
      accountId: user.id,
      factors: { authenticator: true, passkeys: 1, email: { verified: true }, phone: { verified: true } },
      hold: { held: true, endsAt: endsAt.toISOString(), scope: ['withdrawals', 'p2p_trading'] },
    });
  });

  it('answers an unknown account with the same status and shape as a bare account', async () => {
    const bare = await bareAccount();
    const unknownId = randomUUID();
    const known = await get(bare.id);
    const unknown = await get(unknownId);
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ ...known.body, accountId: unknownId });
    expect(unknown.headers.get('cache-control')).toBe('no-store');
  });

  it('rejects a malformed account id with 422', async () => {
    for (const bad of ['not-a-uuid', `${randomUUID()}x`, "' OR 1=1 --"]) {
      const response = await get(bad);
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ error: { code: 'validation_failed' } });
    }
  });

  it('refuses a wrong, revoked or missing key with a bare 401, whatever the id', async () => {
    const user = await createUser(db);
    await linkAuthenticator(user.id);
    const revoked = await createApiKey({ db, hmacKey, name: 'revoked for security' });
    await revokeApiKey({ db, id: revoked.id, now: new Date() });
    const wrong = `Bearer rg_live_abcdefgh_${randomBytes(32).toString('base64url')}`;
    for (const authorization of [null, '', 'Bearer nope', wrong, `Bearer ${revoked.key}`, `Basic ${key}`]) {
      for (const id of [user.id, randomUUID(), 'not-a-uuid']) {
        const response = await get(id, authorization);
        expect(response.status).toBe(401);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.body).toEqual({ error: { code: 'unauthorized', message: 'A valid API key is required.' } });
      }
    }
  });
});

// Webhooks to the host (signing, retries, order, dead letters): tests/integration/webhooks.test.ts.
