import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { getActiveHold, getHoldStatusForHost, startHold } from '@/lib/holds';
import { fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';

const { db } = await useTestDatabase();
const HOUR = 3600;

async function webhooksFor(accountId: string) {
  const rows = await db.webhookDelivery.findMany({ where: { event: 'hold.started' }, orderBy: { createdAt: 'asc' } });
  return rows.filter((row) => (row.payload as { accountId?: string }).accountId === accountId);
}

describe('security hold (docs/product.md B, docs/security.md rule 11)', () => {
  it('starts for 24 hours and covers withdrawals and P2P trading', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    expect(await getActiveHold({ db, userId: user.id, now: clock.now() })).toBeNull();

    await startHold({ db, userId: user.id, reason: 'AUTHENTICATOR_RESET', now: clock.now() });

    expect(await getActiveHold({ db, userId: user.id, now: clock.now() })).toEqual({
      endsAt: new Date('2026-05-02T10:00:00Z'),
      scope: ['withdrawals', 'p2p_trading'],
      reasons: ['authenticator_reset'],
    });
    clock.advance(24 * HOUR - 1);
    expect((await getActiveHold({ db, userId: user.id, now: clock.now() }))?.endsAt).toEqual(new Date('2026-05-02T10:00:00Z'));
  });

  it('a second reset during the hold moves the end to 24 h after the second reset, without stacking', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    await startHold({ db, userId: user.id, reason: 'AUTHENTICATOR_RESET', now: clock.now() });
    clock.advance(6 * HOUR);
    const second = await startHold({ db, userId: user.id, reason: 'PASSKEY_RESET', now: clock.now() });

    const expectedEnd = new Date('2026-05-02T16:00:00Z'); // second reset + 24 h, not first end + 24 h
    expect(second.endsAt).toEqual(expectedEnd);
    const hold = await getActiveHold({ db, userId: user.id, now: clock.now() });
    expect(hold?.endsAt).toEqual(expectedEnd);
    expect(hold?.reasons.sort()).toEqual(['authenticator_reset', 'passkey_reset']);

    // Past the first hold's end the account is still held until the second one's end.
    clock.set('2026-05-02T12:00:00Z');
    expect((await getActiveHold({ db, userId: user.id, now: clock.now() }))?.endsAt).toEqual(expectedEnd);
    // History is kept: one row per trigger.
    expect(await db.securityHold.count({ where: { userId: user.id } })).toBe(2);
  });

  it('a later, shorter hold never shortens one already in force', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    await startHold({ db, userId: user.id, reason: 'RECOVERY_COMPLETED', now: clock.now(), hours: 48 });
    clock.advance(HOUR);
    const result = await startHold({ db, userId: user.id, reason: 'PASSKEY_RESET', now: clock.now() });
    expect(result.endsAt).toEqual(new Date('2026-05-03T10:00:00Z'));
    const [, webhook] = await webhooksFor(user.id);
    expect((webhook!.payload as { endsAt: string }).endsAt).toBe('2026-05-03T10:00:00.000Z');
  });

  it('ends by itself: at and after the end there is no active hold', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    await startHold({ db, userId: user.id, reason: 'RECOVERY_COMPLETED', now: clock.now() });
    clock.advance(24 * HOUR);
    expect(await getActiveHold({ db, userId: user.id, now: clock.now() })).toBeNull();
    clock.advance(HOUR);
    expect(await getActiveHold({ db, userId: user.id, now: clock.now() })).toBeNull();
    expect(await getHoldStatusForHost({ db, accountId: user.id, now: clock.now() })).toEqual({
      accountId: user.id,
      held: false,
      endsAt: null,
      scope: [],
    });
  });

  it('a lifted hold is no longer active', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    await startHold({ db, userId: user.id, reason: 'CONTACT_CHANGE', now: clock.now() });
    await db.securityHold.updateMany({ where: { userId: user.id }, data: { liftedAt: clock.now() } });
    expect(await getActiveHold({ db, userId: user.id, now: clock.now() })).toBeNull();
  });

  it("one account's hold does not hold another account", async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const held = await createUser(db);
    const other = await createUser(db);
    await startHold({ db, userId: held.id, reason: 'AUTHENTICATOR_RESET', now: clock.now() });
    expect(await getActiveHold({ db, userId: other.id, now: clock.now() })).toBeNull();
  });
});

describe('hold.started webhook', () => {
  afterEach(async () => {
    await db.$executeRawUnsafe(`DROP TRIGGER IF EXISTS refuse_insert ON "WebhookDelivery"`);
    await db.$executeRawUnsafe(`DROP TRIGGER IF EXISTS refuse_insert ON "SecurityHold"`);
  });

  it('is enqueued with the account, end, scope and reason', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    await startHold({ db, userId: user.id, reason: 'PASSKEY_RESET', now: clock.now() });
    const rows = await webhooksFor(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'PENDING', attempts: 0, nextAttemptAt: clock.now() });
    expect(rows[0]!.payload).toEqual({
      accountId: user.id,
      endsAt: '2026-05-02T10:00:00.000Z',
      scope: ['withdrawals', 'p2p_trading'],
      reason: 'passkey_reset',
    });
  });

  it('is not enqueued when the hold insert fails (same transaction)', async () => {
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const missingUser = randomUUID(); // the foreign key refuses the hold row
    await expect(startHold({ db, userId: missingUser, reason: 'AUTHENTICATOR_RESET', now: clock.now() })).rejects.toThrow();
    expect(await webhooksFor(missingUser)).toHaveLength(0);

    // The same with a real user whose hold insert PostgreSQL refuses.
    const user = await createUser(db);
    await refuseInsertsInto('SecurityHold');
    await expect(startHold({ db, userId: user.id, reason: 'AUTHENTICATOR_RESET', now: clock.now() })).rejects.toThrow();
    expect(await webhooksFor(user.id)).toHaveLength(0);
  });

  it('no hold is left behind when the webhook cannot be enqueued (same transaction)', async () => {
    // Whichever order the two inserts run in, one of these two tests makes the second one fail.
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const user = await createUser(db);
    await refuseInsertsInto('WebhookDelivery');
    await expect(startHold({ db, userId: user.id, reason: 'AUTHENTICATOR_RESET', now: clock.now() })).rejects.toThrow();
    expect(await db.securityHold.count({ where: { userId: user.id } })).toBe(0);
    expect(await getActiveHold({ db, userId: user.id, now: clock.now() })).toBeNull();
  });
});

/** A real database failure on insert (this test file has its own database, so nothing else sees it). */
async function refuseInsertsInto(table: 'SecurityHold' | 'WebhookDelivery') {
  await db.$executeRawUnsafe(`
    CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql`);
  await db.$executeRawUnsafe(`CREATE TRIGGER refuse_insert BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION refuse_insert()`);
}
