import { hasAuthenticator } from '@/lib/authenticator';
import type { Db } from '@/lib/db/client';
import { getHoldStatusForHost, type HoldScopeName } from '@/lib/holds';
import { countPasskeys } from '@/lib/passkeys';

/** What `GET /api/v1/accounts/{id}/security` answers: which factors are set up and the hold in force. */
export type HostAccountSecurity = {
  accountId: string;
  factors: {
    authenticator: boolean;
    passkeys: number;
    email: { verified: boolean };
    /** null when the account has no phone number at all. */
    phone: { verified: boolean } | null;
  };
  hold: { held: boolean; endsAt: string | null; scope: HoldScopeName[] };
};

/**
 * The host platform's view of an account's security (README, "Host platform API"). `accountId`
 * must already be a UUID (the route validates it). Only booleans and counts leave: no contact
 * details, credential ids or secrets, since the host needs to know what is set up, not what it is.
 */
export async function getAccountSecurityForHost({ db, accountId, now }: { db: Db; accountId: string; now: Date }): Promise<HostAccountSecurity> {
  // The same four queries run whether or not the account exists, and a missing account reads as one
  // with nothing set up, so neither the answer nor its timing tells a caller which ids are real.
  const [contacts, authenticator, passkeys, hold] = await Promise.all([
    // No capability owns the account row's contact fields yet (lib/sessions reads them the same way);
    // the select is an allow-list so nothing else from the row is loaded.
    db.user.findUnique({ where: { id: accountId }, select: { emailVerifiedAt: true, phone: true, phoneVerifiedAt: true } }),
    hasAuthenticator({ db, owner: { userId: accountId } }),
    countPasskeys(db, accountId),
    getHoldStatusForHost({ db, accountId, now }),
  ]);
  return {
    accountId,
    factors: {
      authenticator,
      passkeys,
      email: { verified: Boolean(contacts?.emailVerifiedAt) },
      phone: contacts?.phone ? { verified: Boolean(contacts.phoneVerifiedAt) } : null,
    },
    hold: { held: hold.held, endsAt: hold.endsAt, scope: hold.scope },
  };
}
