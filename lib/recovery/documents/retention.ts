import type { Db } from '@/lib/db/client';
import { postgresDocumentStore, type DocumentStore } from './store';

/**
 * Deletes identity documents at the end of their retention (docs/security.md rule 19: "deleted after a
 * retention period (default 90 days after the ticket closes)"), or earlier when a row carries its
 * own deleteAfter. The ciphertext and the wrapped key go; the row stays as a record that a document
 * existed, with its type, size, digest and deletion time, and nothing that can be decrypted.
 */
export const DEFAULT_RETENTION_DAYS = 90;
/** Rows per UPDATE, so each transaction stays short while the console keeps working. */
const BATCH = 200;
const DAY_MS = 24 * 60 * 60 * 1000;

export async function purgeExpiredDocuments(input: {
  db: Db;
  now: Date;
  retentionDays?: number | undefined;
  store?: DocumentStore | undefined;
}): Promise<number> {
  const { db, now } = input;
  const retentionDays = input.retentionDays ?? DEFAULT_RETENTION_DAYS;
  if (!Number.isFinite(retentionDays) || retentionDays < 0) throw new Error('purgeExpiredDocuments: retentionDays must be 0 or more');
  const store = input.store ?? postgresDocumentStore;
  const closedBefore = new Date(now.getTime() - retentionDays * DAY_MS);

  let purged = 0;
  for (;;) {
    // SKIP LOCKED lets two runs (cron overlapping a manual run) share the work instead of queueing.
    const rows = await db.$queryRaw<{ id: string; storageKey: string | null }[]>`
      WITH due AS (
        SELECT d."id" FROM "TicketDocument" d
        JOIN "RecoveryTicket" t ON t."id" = d."ticketId"
        WHERE d."deletedAt" IS NULL
          AND ((d."deleteAfter" IS NOT NULL AND d."deleteAfter" <= ${now}::timestamp(3))
            OR (t."closedAt" IS NOT NULL AND t."closedAt" <= ${closedBefore}::timestamp(3)))
        ORDER BY d."id"
        LIMIT ${BATCH}
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE "TicketDocument" d
      SET "ciphertext" = NULL, "wrappedKey" = ''::bytea, "deletedAt" = ${now}::timestamp(3)
      FROM due WHERE d."id" = due."id"
      RETURNING d."id", d."storageKey"`;
    // With the key gone the object is unreadable already; removing it also frees the space.
    for (const row of rows) if (row.storageKey) await store.remove(row.storageKey);
    purged += rows.length;
    if (rows.length < BATCH) return purged;
  }
}
