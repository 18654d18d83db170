import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect, request as playwrightRequest, test, type APIRequestContext } from '@playwright/test';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { createPrisma } from '@/lib/db/client';
import { PEER_ADDRESS_HEADER } from '@/lib/net/client-address';
import { SEND_LIMITS } from '@/lib/verification/policy';
import { E2E_PORTS } from './ports';
import { appServerEnv } from './server-env';

// docs/security.md rule 24, from the attacker's side, over HTTP against the real server entry: a client
// that writes a different X-Forwarded-For (and X-Real-IP, and the entry's own internal header) on
// every request is still one client. This file starts its own app server through scripts/dev.ts →
// scripts/serve.ts with no proxy setting (the main browser-test server trusts one hop, the runner),
// on its own throwaway database, so the socket address is the only truth.

const DIRECT = {
  baseUrl: `http://localhost:${E2E_PORTS.directApp}`,
  databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${E2E_PORTS.directPostgres}/regain`,
};
// scripts/dev.ts listens on 127.0.0.1 by default, so every connection from this runner has this peer.
const SOCKET_ADDRESS = '127.0.0.1';
const DEMO_TOTP_KEY = 'OJSWOYLJNYWWIZLNN4WXI33UOAWWWZLZ';

let server: ChildProcess | undefined;
let serverLog = '';
let api: APIRequestContext;

test.beforeAll(async () => {
  test.setTimeout(150_000);
  server = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--start', '--ephemeral'], {
    env: {
      ...process.env,
      ...appServerEnv({ app: E2E_PORTS.directApp, postgres: E2E_PORTS.directPostgres }),
      TRUSTED_PROXY_HOPS: '',
      TRUSTED_PROXIES: '',
      HOST: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-20_000));
  server.stdout!.on('data', keep);
  server.stderr!.on('data', keep);
  await expect
    .poll(async () => (server!.exitCode === null ? await fetch(`${DIRECT.baseUrl}/api/health`).then((r) => r.status).catch(() => 0) : -1), {
      message: 'the direct server answers /api/health',
      timeout: 120_000,
      intervals: [250],
    })
    .toBe(200)
    .catch((error: Error) => {
      throw new Error(`${error.message}\n--- server output ---\n${serverLog}`);
    });
  api = await playwrightRequest.newContext({ baseURL: DIRECT.baseUrl });
});

test.afterAll(async () => {
  await api?.dispose();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

/** Every client-controlled header that has ever named a client address, all saying `address`. */
const forgedAs = (address: string) => ({ 'X-Forwarded-For': address, 'X-Real-IP': address, Forwarded: `for=${address}`, [PEER_ADDRESS_HEADER]: address });

test('the session, sign-in event and audit line of a sign-in carry the socket address, not a forged one', async () => {
  const db = createPrisma(DIRECT.databaseUrl);
  try {
    const forged = '203.0.113.77';
    const csrf = await api.get('/api/auth/csrf', { headers: forgedAs(forged) });
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const code = totp(base32Decode(DEMO_TOTP_KEY), { time: new Date() });
    const signIn = await api.post('/api/auth/callback/password', {
      headers: { ...forgedAs(forged), Origin: DIRECT.baseUrl },
      form: { csrfToken, email: 'ada@example.com', password: 'regain-demo-2026', code },
      maxRedirects: 0,
    });
    expect(signIn.status(), await signIn.text()).toBe(302);
    expect(signIn.headers()['location']).not.toContain('error');

    const ada = await db.user.findUniqueOrThrow({ where: { email: 'ada@example.com' }, select: { id: true } });
    const session = await db.session.findFirstOrThrow({ where: { userId: ada.id }, orderBy: { createdAt: 'desc' }, select: { ip: true } });
    const event = await db.signInEvent.findFirstOrThrow({ where: { userId: ada.id, result: 'SUCCESS' }, orderBy: { createdAt: 'desc' }, select: { ip: true } });
    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: 'session.sign_in', actorId: ada.id }, orderBy: { seq: 'desc' }, select: { ip: true } });
    expect({ session: session.ip, signInEvent: event.ip, audit: audit.ip }).toEqual({ session: SOCKET_ADDRESS, signInEvent: SOCKET_ADDRESS, audit: SOCKET_ADDRESS });
  } finally {
    await db.$disconnect();
  }
});

test('a client rotating forged X-Forwarded-For values stays in one per-IP bucket and gets 429', async () => {
  test.setTimeout(90_000);
  const { limit } = SEND_LIMITS.perIp;
  const tag = randomBytes(4).toString('hex');
  const statuses: number[] = [];
  let last;
  for (let i = 0; i <= limit; i++) {
    // A new documentation-range address and a new unknown identifier each time, so only the per-IP
    // limit can refuse (per-identifier and per-destination limits never fill).
    last = await api.post('/api/recovery/start', {
      headers: forgedAs(`198.51.100.${(i % 250) + 1}, 192.0.2.${(i % 250) + 1}`),
      data: { identifier: `rotating-${tag}-${i}@example.com` },
    });
    statuses.push(last.status());
  }
  expect(statuses.slice(0, limit)).toEqual(new Array(limit).fill(201));
  expect(statuses.at(-1), 'request number limit + 1, from the same socket').toBe(429);
  expect(Number(last!.headers()['retry-after'])).toBeGreaterThan(0);

  // The address shown on approval prompts (the challenge's requestIp) is the socket's as well.
  const db = createPrisma(DIRECT.databaseUrl);
  try {
    const challenges = await db.verificationChallenge.findMany({ where: { purpose: 'RECOVERY', userId: null }, select: { requestIp: true } });
    expect(challenges.length).toBeGreaterThanOrEqual(limit);
    expect(new Set(challenges.map((c) => c.requestIp))).toEqual(new Set([SOCKET_ADDRESS]));
  } finally {
    await db.$disconnect();
  }
});
