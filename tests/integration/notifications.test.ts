import { describe, expect, it } from 'vitest';
import { DeliveryError, type Delivery } from '@/lib/delivery';
import { notifySecurityChange, SECURITY_NOTICE_PURPOSE } from '@/lib/notifications';
import { capturingDelivery, fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';

const { db } = await useTestDatabase();
const clock = fixedClock('2026-05-01T10:07:00Z');

describe('security-change notices (docs/product.md B, docs/security.md rule 11)', () => {
  it('goes to the verified email and the verified phone', async () => {
    const user = await createUser(db, { phone: '+447700900111', phoneVerified: true });
    const { delivery, sent } = capturingDelivery();

    const result = await notifySecurityChange({
      db,
      delivery,
      userId: user.id,
      change: 'authenticator_replaced',
      now: clock.now(),
      context: { requestedFrom: 'Chrome on macOS', holdEndsAt: new Date('2026-05-02T10:07:00Z') },
    });

    expect(result).toEqual({ queued: ['email', 'sms'], failed: [] });
    expect(sent).toHaveLength(2);
    const email = sent.find((m) => m.channel === 'email')!;
    const sms = sent.find((m) => m.channel === 'sms')!;
    expect(email).toMatchObject({ to: user.email, purpose: SECURITY_NOTICE_PURPOSE, subject: 'Your Regain authenticator app was replaced' });
    expect(email.text).toContain('1 May 2026 at 10:07 UTC');
    expect(email.text).toContain('Chrome on macOS');
    expect(email.text).toContain('withdrawals and P2P trading are held until 2 May 2026 at 10:07 UTC');
    expect(email.html).toContain('<h1');
    expect(sms).toMatchObject({ to: '+447700900111', purpose: SECURITY_NOTICE_PURPOSE });
    expect(sms.text.length).toBeLessThanOrEqual(160);
    expect(sms.text).toContain('held until 2 May 10:07 UTC');
    // Nothing secret in a notice, so nothing to mask.
    expect(sent.every((m) => m.sensitive === undefined)).toBe(true);
  });

  it('never writes to an unverified phone', async () => {
    const user = await createUser(db, { phone: '+447700900222', phoneVerified: false });
    const { delivery, sent } = capturingDelivery();

    const result = await notifySecurityChange({ db, delivery, userId: user.id, change: 'passkey_added', now: clock.now(), context: { passkeyName: 'Work laptop' } });

    expect(result).toEqual({ queued: ['email'], failed: [] });
    expect(sent.map((m) => [m.channel, m.to])).toEqual([['email', user.email]]);
    expect(sent[0]!.text).toContain('“Work laptop”');
  });

  it('never writes to an unverified email', async () => {
    const user = await createUser(db, { phone: '+447700900333', phoneVerified: true });
    await db.user.update({ where: { id: user.id }, data: { emailVerifiedAt: null } });
    const { delivery, sent } = capturingDelivery();

    const result = await notifySecurityChange({ db, delivery, userId: user.id, change: 'contact_changed', now: clock.now() });

    expect(result).toEqual({ queued: ['sms'], failed: [] });
    expect(sent.map((m) => m.channel)).toEqual(['sms']);
  });

  it('a user without a phone gets the email only', async () => {
    const user = await createUser(db, { phone: null });
    const { delivery, sent } = capturingDelivery();
    const result = await notifySecurityChange({ db, delivery, userId: user.id, change: 'sessions_ended', now: clock.now() });
    expect(result).toEqual({ queued: ['email'], failed: [] });
    expect(sent).toHaveLength(1);
  });

  it('an SMS that cannot be queued does not stop the email, and the result says so', async () => {
    const user = await createUser(db, { phone: '+447700900444', phoneVerified: true });
    const captured = capturingDelivery();
    const delivery: Delivery = {
      async send(message) {
        if (message.channel === 'sms') throw new DeliveryError('sms', 'provider_error', 'twilio 500');
        return captured.delivery.send(message);
      },
    };

    const result = await notifySecurityChange({ db, delivery, userId: user.id, change: 'recovery_completed', now: clock.now() });

    expect(result).toEqual({ queued: ['email'], failed: ['sms'] });
    expect(captured.sent.map((m) => m.channel)).toEqual(['email']);
  });

  it('an email that cannot be queued does not stop the SMS, whatever it throws', async () => {
    const user = await createUser(db, { phone: '+447700900555', phoneVerified: true });
    const captured = capturingDelivery();
    const delivery: Delivery = {
      async send(message) {
        if (message.channel === 'email') throw new Error('connection reset');
        return captured.delivery.send(message);
      },
    };

    const result = await notifySecurityChange({ db, delivery, userId: user.id, change: 'device_signed_out', now: clock.now() });

    expect(result).toEqual({ queued: ['sms'], failed: ['email'] });
    expect(captured.sent.map((m) => m.channel)).toEqual(['sms']);
  });

  it('inside a transaction a notice that cannot be queued fails the transaction, so the change rolls back with it', async () => {
    const user = await createUser(db, { phone: '+447700900666', phoneVerified: true });
    const delivery: Delivery = {
      async send() {
        throw new Error('queue unavailable');
      },
    };
    await expect(
      db.$transaction(async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { displayName: 'Changed' } });
        await notifySecurityChange({ db: tx, delivery, userId: user.id, change: 'contact_changed', now: clock.now() });
      }),
    ).rejects.toThrow('queue unavailable');
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).displayName).not.toBe('Changed');
  });

  it('an unknown user gets nothing and nothing throws', async () => {
    const { delivery, sent } = capturingDelivery();
    const result = await notifySecurityChange({ db, delivery, userId: '01890000-0000-7000-8000-000000000000', change: 'passkey_removed', now: clock.now() });
    expect(result).toEqual({ queued: [], failed: [] });
    expect(sent).toHaveLength(0);
  });
});
