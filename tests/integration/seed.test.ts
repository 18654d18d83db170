import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open } from '@/lib/crypto';
import { verifyPassword } from '@/lib/sessions/password';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, demoAccounts, seedDemoData } from '@/prisma/seed';
import { useTestDatabase } from '../support/db';

const { db } = await useTestDatabase();
const encryptionKey = randomBytes(32);

async function countAll() {
  return {
    users: await db.user.count(),
    agents: await db.agent.count(),
    authenticators: await db.authenticator.count(),
    devices: await db.trustedDevice.count(),
    signIns: await db.signInEvent.count(),
  };
}

describe('demo data', () => {
  it('seeds two account holders with different factors, an agent, a supervisor and an admin', async () => {
    await seedDemoData(db, { encryptionKey });
    const ada = await db.user.findUniqueOrThrow({ where: { email: demoAccounts.ada.email }, include: { authenticators: true, devices: true } });
    const ben = await db.user.findUniqueOrThrow({ where: { email: demoAccounts.ben.email }, include: { authenticators: true, devices: true } });
    expect(ada.authenticators).toHaveLength(1);
    expect(ben.authenticators).toHaveLength(0);
    expect(ben.devices).toHaveLength(1);
    expect(ada.phoneVerifiedAt && ben.phoneVerifiedAt).toBeTruthy();
    expect(await verifyPassword(ada.passwordHash!, DEMO_PASSWORD)).toBe(true);
    expect(await verifyPassword(ada.passwordHash!, 'wrong')).toBe(false);

    // The authenticator secret is stored encrypted, bound to its owner.
    const sealed = ada.authenticators[0]!.encryptedSecret;
    expect(Buffer.from(sealed).includes(DEMO_TOTP_SECRET)).toBe(false);
    expect(open(encryptionKey, sealed, `totp:user:${ada.id}`).equals(DEMO_TOTP_SECRET)).toBe(true);

    const roles = (await db.agent.findMany({ orderBy: { email: 'asc' } })).map((a) => [a.email, a.role]);
    expect(roles).toEqual([
      [demoAccounts.admin.email, 'ADMIN'],
      [demoAccounts.agent.email, 'AGENT'],
      [demoAccounts.supervisor.email, 'SUPERVISOR'],
    ]);
  });

  it('is idempotent', async () => {
    const before = await countAll();
    await seedDemoData(db, { encryptionKey });
    expect(await countAll()).toEqual(before);
  });
});
