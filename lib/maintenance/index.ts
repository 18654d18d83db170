import { anchorAuditHead } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { Delivery } from '@/lib/delivery/types';
import { log } from '@/lib/log';
import { purgeStaleChallenges } from '@/lib/passkeys';
import { purgeExpiredDocuments } from '@/lib/recovery/documents';
import { purgeStaleResets } from '@/lib/recovery/resets';
import { retryUnappliedApprovals } from '@/lib/recovery/ticket-reset';
import { expireStaleTickets } from '@/lib/recovery/tickets';

/**
 * The scheduled housekeeping of every capability, in one run: tickets past their deadlines expire,
 * identity documents past retention are deleted (security.md rule 19), spent WebAuthn challenges
 * and old resets are removed, and an approval whose reset did not finish is run again. Each step is
 * independent: one failing never stops the rest.
 */
export type MaintenanceSummary = { approvalsRetried: number; ticketsExpired: number; documentsPurged: number; challengesPurged: number; resetsPurged: number; auditAnchored: number; failed: string[] };

/** What housekeeping needs besides the database: a retried reset mails its link (config values). */
export type MaintenanceDeps = { db: Db; delivery: Delivery; hmacKey: Buffer; appUrl: string; cancelWindowHours?: number | undefined };

export async function runMaintenance({ db, delivery, hmacKey, appUrl, cancelWindowHours, now }: MaintenanceDeps & { now: Date }): Promise<MaintenanceSummary> {
  const summary: MaintenanceSummary = { approvalsRetried: 0, ticketsExpired: 0, documentsPurged: 0, challengesPurged: 0, resetsPurged: 0, auditAnchored: 0, failed: [] };
  const steps: [keyof Omit<MaintenanceSummary, 'failed'>, () => Promise<number>][] = [
    // Before expiry: a stuck approval gets its link rather than lapsing unseen.
    ['approvalsRetried', () => retryUnappliedApprovals({ db, delivery, hmacKey, appUrl, cancelWindowHours, now })],
    // Expire first, so a ticket closed now starts its retention clock in the same run.
    ['ticketsExpired', () => expireStaleTickets({ db, now })],
    ['documentsPurged', () => purgeExpiredDocuments({ db, now })],
    ['challengesPurged', () => purgeStaleChallenges(db, now)],
    ['resetsPurged', () => purgeStaleResets(db, now)],
    // Last, so the hourly anchor pins everything this run wrote (security.md rule 20).
    ['auditAnchored', () => anchorAuditHead({ db, now, reason: 'schedule' }).then(() => 1)],
  ];
  for (const [name, step] of steps) {
    try {
      summary[name] = await step();
    } catch (error) {
      summary.failed.push(name);
      log.error('maintenance_step_failed', { step: name, error });
    }
  }
  return summary;
}

/** Runs housekeeping hourly inside a server process (the default single-process setup needs no cron). */
export function startMaintenanceTimer({ intervalMs = 3_600_000, ...deps }: MaintenanceDeps & { intervalMs?: number }) {
  const timer = setInterval(() => {
    void runMaintenance({ ...deps, now: new Date() }).then((summary) => log.info('maintenance_run', summary));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
