import type { Db } from '@/lib/db/client';

/** Passkeys registered to an account holder (registration and sign-in with passkeys come next). */
export async function countPasskeys(db: Db, userId: string) {
  return db.passkeyCredential.count({ where: { userId } });
}
