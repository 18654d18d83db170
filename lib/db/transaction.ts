import type { Db } from './client';
import type { Prisma } from './generated/client';

/**
 * The client itself or an interactive transaction. Capability functions take this, so a use case
 * can make their writes part of its own transaction: a security change and its consequences commit
 * together or not at all (docs/security.md rule 28).
 */
export type DbClient = Db | Prisma.TransactionClient;
export type Tx = Prisma.TransactionClient;

/**
 * Runs `work` in the caller's transaction when given one, else in a new interactive transaction.
 * Either way the writes inside commit or roll back as one.
 */
export function inTransaction<T>(db: DbClient, work: (tx: Tx) => Promise<T>): Promise<T> {
  return isClient(db) ? db.$transaction(work) : work(db);
}

/** A transaction client has no $transaction of its own. */
export function isClient(db: DbClient): db is Db {
  return typeof (db as { $transaction?: unknown }).$transaction === 'function';
}
