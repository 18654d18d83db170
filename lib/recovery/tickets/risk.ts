import type { Db } from '@/lib/db/client';
import type { RiskLevel } from '@/lib/db/generated/enums';

/**
 * Risk of a ticket, decided when it is opened (high-risk approvals need a second
 * agent: docs/security.md rule 12, docs/recovery-policy.md). A takeover usually starts by changing a contact or a factor and then
 * "losing" the rest, and a large balance is what makes an account worth it. So a ticket is HIGH when
 * the account is flagged high value by the host, or when a contact or factor changed in the last 7
 * days. The signals are kept on the ticket so the agent sees why.
 */
export const RISK_WINDOW_DAYS = 7;
const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';

export type RiskSignalKind =
  | 'high_value_account'
  | 'account_created_recently'
  | 'contact_changed_recently'
  | 'factor_changed_recently'
  | 'no_matching_account';

export type RiskSignal = { signal: RiskSignalKind; detail: string; at?: string | undefined };

/** Holds are started by resets and contact changes (lib/holds); their reasons say which. */
const HOLD_SIGNALS = {
  CONTACT_CHANGE: ['contact_changed_recently', 'contact change hold started'],
  AUTHENTICATOR_RESET: ['factor_changed_recently', 'authenticator reset'],
  PASSKEY_RESET: ['factor_changed_recently', 'passkey reset'],
  RECOVERY_COMPLETED: ['factor_changed_recently', 'account recovered'],
} as const satisfies Record<string, readonly [RiskSignalKind, string]>;

/** Audited changes made from the security center (lib/sessions/changes.ts names them so). */
const AUDITED_FACTOR_CHANGES = new Set([
  'passkey.added',
  'passkey.removed',
  'passkey.revoked',
  'authenticator.added',
  'authenticator.replaced',
  'authenticator.removed',
  'recovery.reset_completed',
]);
const AUDITED_CONTACT_CHANGES = new Set(['contact.changed', 'email.changed', 'phone.changed']);

/**
 * Reads only dates and flags (docs/architecture.md 6: select allow-lists; nothing holding a secret).
 * Several sources on purpose: a change made by an agent-approved recovery leaves a hold, one made
 * in the security center leaves an audit event, and a new factor or contact leaves its own date.
 */
export async function assessTicketRisk(db: Db, accountId: string | null, now: Date): Promise<{ level: RiskLevel; signals: RiskSignal[] }> {
  // Without an account the same queries run against an id no row has, so opening a ticket takes
  // the same time either way (rule 13).
  const userId = accountId ?? NO_ACCOUNT;
  const since = new Date(now.getTime() - RISK_WINDOW_DAYS * 24 * 3600 * 1000);
  const recent = { gte: since, lte: now };
  const [user, authenticators, passkeys, holds, audited] = await Promise.all([
    db.user.findUnique({ where: { id: userId }, select: { highValue: true, createdAt: true, emailVerifiedAt: true, phoneVerifiedAt: true } }),
    db.authenticator.findMany({ where: { userId, confirmedAt: recent }, select: { confirmedAt: true } }),
    db.passkeyCredential.findMany({ where: { userId, createdAt: recent }, select: { createdAt: true } }),
    db.securityHold.findMany({ where: { userId, startsAt: recent }, select: { reason: true, startsAt: true } }),
    db.auditEvent.findMany({
      where: { OR: [{ actorType: 'USER', actorId: userId }, { subjectType: 'user', subjectId: userId }], occurredAt: recent },
      select: { action: true, occurredAt: true },
      orderBy: { seq: 'desc' },
      take: 500,
    }),
  ]);
  if (!user) return { level: 'LOW', signals: [{ signal: 'no_matching_account', detail: 'no account uses this contact address' }] };

  const signals: RiskSignal[] = [];
  const add = (signal: RiskSignalKind, detail: string, at?: Date | null) => signals.push({ signal, detail, ...(at ? { at: at.toISOString() } : {}) });
  const inWindow = (date: Date | null) => Boolean(date && date >= since && date <= now);

  if (user.highValue) add('high_value_account', 'flagged high value by the platform');
  // Every factor and contact of an account younger than the window is a recent change.
  if (inWindow(user.createdAt)) add('account_created_recently', 'account opened', user.createdAt);
  else {
    if (inWindow(user.emailVerifiedAt)) add('contact_changed_recently', 'email address verified', user.emailVerifiedAt);
    if (inWindow(user.phoneVerifiedAt)) add('contact_changed_recently', 'phone number verified', user.phoneVerifiedAt);
  }
  for (const a of authenticators) add('factor_changed_recently', 'authenticator app linked', a.confirmedAt);
  for (const p of passkeys) add('factor_changed_recently', 'passkey added', p.createdAt);
  for (const h of holds) {
    const mapped = HOLD_SIGNALS[h.reason as keyof typeof HOLD_SIGNALS];
    if (mapped) add(mapped[0], mapped[1], h.startsAt);
  }
  for (const e of audited) {
    if (AUDITED_FACTOR_CHANGES.has(e.action)) add('factor_changed_recently', e.action, e.occurredAt);
    else if (AUDITED_CONTACT_CHANGES.has(e.action)) add('contact_changed_recently', e.action, e.occurredAt);
  }
  return { level: signals.length > 0 ? 'HIGH' : 'LOW', signals: dedupe(signals) };
}

function dedupe(signals: RiskSignal[]) {
  const seen = new Set<string>();
  return signals.filter((s) => {
    const key = `${s.signal}|${s.detail}|${s.at ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
