import type { Db } from '@/lib/db/client';
import { seal } from '@/lib/crypto';
import { hashPassword } from '@/lib/sessions/password';

/**
 * Demo data for local development. Idempotent: running it again changes nothing.
 * The demo password and authenticator key are public (README) and must never reach production.
 */
export const DEMO_PASSWORD = 'regain-demo-2026';
// Base32 for authenticator apps: OJSWOYLJNYWWIZLNN4WXI33UOAWWWZLZ (160 bits, as RFC 6238 asks).
export const DEMO_TOTP_SECRET = Buffer.from('regain-demo-totp-key', 'utf8');

export const demoAccounts = {
  ada: { email: 'ada@example.com', phone: '+447700900142', displayName: 'Ada Lovelace' },
  ben: { email: 'ben@example.com', phone: '+15555550123', displayName: 'Ben Okafor' },
  agent: { email: 'agent@example.com', name: 'Alice Mensah' },
  supervisor: { email: 'supervisor@example.com', name: 'Sam Ortiz' },
  admin: { email: 'admin@example.com', name: 'Noor Haddad' },
} as const;

export async function seedDemoData(db: Db, options: { encryptionKey: Buffer; now?: Date }) {
  const now = options.now ?? new Date();
  const passwordHash = await hashPassword(DEMO_PASSWORD);

  // Ada: password + authenticator app, verified email and phone, flagged high value.
  const ada = await db.user.upsert({
    where: { email: demoAccounts.ada.email },
    update: {},
    create: {
      ...demoAccounts.ada,
      emailVerifiedAt: now,
      phoneVerifiedAt: now,
      passwordHash,
      highValue: true,
    },
  });
  if ((await db.authenticator.count({ where: { userId: ada.id } })) === 0) {
    await db.authenticator.create({
      data: {
        userId: ada.id,
        encryptedSecret: seal(options.encryptionKey, DEMO_TOTP_SECRET, `totp:user:${ada.id}`),
        confirmedAt: now,
      },
    });
  }

  // Ben: password + SMS only, one trusted phone and some sign-in history.
  const ben = await db.user.upsert({
    where: { email: demoAccounts.ben.email },
    update: {},
    create: { ...demoAccounts.ben, emailVerifiedAt: now, phoneVerifiedAt: now, passwordHash },
  });
  if ((await db.trustedDevice.count({ where: { userId: ben.id } })) === 0) {
    await db.trustedDevice.create({
      data: { userId: ben.id, name: 'Pixel 8', platform: 'Android', userAgent: 'Chrome 142 on Android 16', location: 'Lagos, NG' },
    });
    const day = 24 * 60 * 60 * 1000;
    await db.signInEvent.createMany({
      data: [
        { userId: ben.id, method: 'password+sms', result: 'SUCCESS', location: 'Lagos, NG', userAgent: 'Chrome 142 on Android 16', createdAt: new Date(now.getTime() - 3 * day) },
        { userId: ben.id, method: 'password', result: 'FAILURE', reason: 'wrong_password', location: 'Unknown', userAgent: 'Firefox 146 on Windows', createdAt: new Date(now.getTime() - day) },
      ],
    });
  }

  for (const [key, role] of [['agent', 'AGENT'], ['supervisor', 'SUPERVISOR'], ['admin', 'ADMIN']] as const) {
    const agent = await db.agent.upsert({
      where: { email: demoAccounts[key].email },
      update: {},
      create: { ...demoAccounts[key], role, passwordHash },
    });
    if ((await db.authenticator.count({ where: { agentId: agent.id } })) === 0) {
      await db.authenticator.create({
        data: {
          agentId: agent.id,
          encryptedSecret: seal(options.encryptionKey, DEMO_TOTP_SECRET, `totp:agent:${agent.id}`),
          confirmedAt: now,
        },
      });
    }
  }
}
