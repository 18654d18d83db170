import { randomBytes } from 'node:crypto';
import { expect, type CDPSession, type Page } from '@playwright/test';
import { totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import { createPrisma } from '@/lib/db/client';
import { hashPassword } from '@/lib/sessions/password';
import { contextsWithOwnAddress, E2E, latestCodeSentTo } from './support';

// Each sign-in journey comes from a client address of its own (RFC 5737 documentation range), as
// different people do. Sharing loopback, the suite's dozens of sign-ins would use up its per-IP
// budget (30 in 15 minutes, lib/sessions/sign-in.ts) and the later journeys would be refused, or
// not, depending on how fast the machine runs them. A context that names its own address keeps it.
let signInAddresses = 0;
async function signInFromOwnAddress(page: Page) {
  if (contextsWithOwnAddress.has(page.context())) return;
  await page.setExtraHTTPHeaders({ 'X-Forwarded-For': `192.0.2.${128 + (signInAddresses++ % 120)}` });
}

/** A fresh account with a password, verified email and phone, and an authenticator whose secret the test knows. */
export async function accountWithAuthenticator() {
  const db = createPrisma(E2E.databaseUrl);
  const secret = randomBytes(20);
  const tag = randomBytes(4).toString('hex');
  const email = `holder-${tag}@example.com`;
  const phone = `+1555${String(parseInt(tag, 16) % 10_000_000).padStart(7, '0')}`;
  const user = await db.user.create({
    data: {
      email,
      phone,
      displayName: 'Test Holder',
      emailVerifiedAt: new Date(),
      phoneVerifiedAt: new Date(),
      passwordHash: await hashPassword('a long test password'),
    },
  });
  await db.authenticator.create({
    data: { userId: user.id, encryptedSecret: seal(Buffer.from(E2E.encryptionKey, 'base64'), secret, `totp:user:${user.id}`), confirmedAt: new Date() },
  });
  await db.$disconnect();
  return { id: user.id, email, phone, password: 'a long test password', code: (at = new Date()) => totp(secret, { time: at }) };
}

/**
 * A fresh account with only a verified email and phone (like the demo's Ben, but its own: the demo
 * number's hourly SMS budget is shared by every journey that uses it).
 */
export async function accountWithoutSecondFactor() {
  const db = createPrisma(E2E.databaseUrl);
  const tag = randomBytes(4).toString('hex');
  const email = `plain-${tag}@example.com`;
  const phone = `+1556${String(parseInt(tag, 16) % 10_000_000).padStart(7, '0')}`;
  await db.user.create({ data: { email, phone, displayName: 'Plain Holder', emailVerifiedAt: new Date(), phoneVerifiedAt: new Date() } });
  await db.$disconnect();
  return { email, phone };
}

export async function signIn(page: Page, email: string, password: string, code: string) {
  await signInFromOwnAddress(page);
  await page.goto('/signin');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Authenticator code').fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * A Chromium virtual authenticator (DevTools WebAuthn domain): a platform authenticator with user
 * verification, or a USB security key. It answers the browser's passkey prompts without a person.
 */
export async function addVirtualAuthenticator(page: Page, kind: 'platform' | 'security-key' = 'platform') {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: kind === 'platform' ? 'internal' : 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    remove: () => cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId }),
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  };
}

/** Pins the server's clock for this browser (ENABLE_TEST_CLOCK): a later sign-in needs a later authenticator step. */
export async function pinServerClock(page: Page, at: Date) {
  await page.context().addCookies([{ name: 'regain_test_now', value: at.toISOString(), url: E2E.baseUrl }]);
}

export type ConsoleAgent = { id: string; email: string; name: string; password: string; secret: Buffer };

/**
 * "Can't sign in?" up to the page after choosing what was lost. The code goes by SMS, or by email
 * after the resend wait (the page and server clocks move 31 s on). Returns the server time then,
 * for authenticator codes that must be later than any used before.
 */
export async function recoverUpToSecondProof(page: Page, account: { email: string; phone: string }, lost: RegExp, via: 'sms' | 'email' = 'sms'): Promise<Date> {
  let now = new Date();
  if (via === 'email') await page.clock.install();
  await page.goto('/recover');
  await page.getByLabel('Email address or phone number').fill(account.email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/recover\/verify$/);
  if (via === 'email') {
    now = new Date(Date.now() + 31_000);
    await pinServerClock(page, now);
    await page.clock.fastForward(31_000);
    await page.getByRole('button', { name: /Email me a code/ }).click();
  }
  await page.getByLabel('6-digit code').fill(await latestCodeSentTo(via === 'email' ? account.email : account.phone));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('radio', { name: lost }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/recover\/reset$/);
  return now;
}

/**
 * A console agent made for the test, with its own authenticator secret, so no other journey's
 * sign-in (the demo agents share one secret) can make a code here a replay.
 */
export async function consoleAgent(role: 'AGENT' | 'SUPERVISOR' | 'ADMIN', name?: string): Promise<ConsoleAgent> {
  const db = createPrisma(E2E.databaseUrl);
  const secret = randomBytes(20);
  const tag = randomBytes(4).toString('hex');
  const password = 'console journey password';
  const agent = await db.agent.create({
    data: {
      email: `${role.toLowerCase()}-${tag}@example.com`,
      name: name ?? `${role.charAt(0)}${role.slice(1).toLowerCase()} ${tag}`,
      role,
      passwordHash: await hashPassword(password),
    },
  });
  await db.authenticator.create({
    data: { agentId: agent.id, encryptedSecret: seal(Buffer.from(E2E.encryptionKey, 'base64'), secret, `totp:agent:${agent.id}`), confirmedAt: new Date() },
  });
  await db.$disconnect();
  return { id: agent.id, email: agent.email, name: agent.name, password, secret };
}

const CONSOLE_REFUSED = 'The email, password or code is not right.';

/**
 * Console sign-in with password and authenticator code; lands on the recovery queue. A step accepted
 * once is refused afterwards (docs/security.md rule 6), so if an earlier test already used the current
 * step for this agent (the demo agents), the server clock is pinned to the next step for this
 * browser and the code computed for that.
 */
export async function consoleSignIn(page: Page, agent: { email: string; password: string; secret: Buffer }) {
  await signInFromOwnAddress(page);
  for (const offsetSeconds of [0, 30, 60]) {
    const at = new Date(Date.now() + offsetSeconds * 1000);
    if (offsetSeconds) await pinServerClock(page, at);
    await page.goto('/console/signin');
    await page.getByLabel('Work email').fill(agent.email);
    await page.getByLabel('Password').fill(agent.password);
    await page.getByLabel('Authenticator code').fill(totp(agent.secret, { time: at }));
    await page.getByRole('button', { name: 'Sign in to the console' }).click();
    const outcome = page.getByRole('heading', { name: 'Recovery queue' }).or(page.getByText(CONSOLE_REFUSED));
    await expect(outcome.first()).toBeVisible();
    if (!(await page.getByText(CONSOLE_REFUSED).isVisible())) return;
  }
  throw new Error(`console sign-in for ${agent.email} kept being refused`);
}

/**
 * A passkey row for an account (for pages that list, rename or delete passkeys; it cannot sign in:
 * its key pair exists nowhere).
 */
export async function storedPasskey(userId: string, name: string) {
  const db = createPrisma(E2E.databaseUrl);
  const row = await db.passkeyCredential.create({
    data: { userId, name, credentialId: randomBytes(16).toString('base64url'), publicKey: randomBytes(77), deviceType: 'singleDevice', transports: ['internal'] },
    select: { id: true, name: true },
  });
  await db.$disconnect();
  return row;
}
