import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db';

const { db } = await useTestDatabase();

describe('migrations', () => {
  it('create a table for every part of the product', async () => {
    const rows = await db.$queryRaw<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    const tables = rows.map((r) => r.table_name).sort();
    expect(tables).toEqual(
      [
        'Agent', 'ApiKey', 'ArticleView', 'ArticleViewTotal', 'ArticleVote', 'AuditAnchor', 'AuditEvent', 'Authenticator', 'OutboundMessage',
        'PasskeyCredential', 'RateLimitBucket', 'RecoveryCode',
      'RecoveryReset', 'RecoveryTicket', 'SearchQuery', 'SecurityHold', 'Session',
        'SignInEvent', 'TicketCancelToken', 'TicketDocument', 'TicketMessage', 'TrustedDevice', 'VerificationChallenge',
        'User', 'VideoAppointment', 'WebAuthnChallenge', 'WebhookDelivery', '_prisma_migrations',
      ].sort(),
    );
  });

  it('enforce unique credential ids (docs/security.md rule 9)', async () => {
    const user = await db.user.create({ data: { email: 'unique@example.com', displayName: 'U' } });
    const passkey = { userId: user.id, credentialId: 'cred-1', publicKey: new Uint8Array([1]), deviceType: 'singleDevice', name: 'Key' };
    await db.passkeyCredential.create({ data: passkey });
    await expect(db.passkeyCredential.create({ data: passkey })).rejects.toThrow();
  });

  it('reject undefined in a filter instead of matching every row (strictUndefinedChecks)', async () => {
    const userId: string | undefined = undefined;
    await expect(db.session.findMany({ where: { userId: userId as unknown as string } })).rejects.toThrow(/undefined/i);
  });
});
