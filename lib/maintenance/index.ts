import type { Db } from '@/lib/db/client';
import { log } from '@/lib/log';
import { purgeStaleChallenges } from '@/lib/passkeys';
import { purgeExpiredDocuments } from '@/lib/recovery/documents';
import { purgeStaleResets } from '@/lib/recovery/resets';
import { expireStaleTickets } from '@/lib/recovery/tickets';

/**
 * The scheduled housekeeping of every capability, in one run: tickets past their deadlines expire,
 * identity documents past retention are deleted (security.md rule 19), and spent WebAuthn
 * challenges and old resets are removed. Each step is independent: one failing never stops the rest.
 */
export type MaintenanceSummary = { ticketsExpired: number; documentsPurged: number; challengesPurged: number; resetsPurged: number; failed: string[] };

export async function runMaintenance({ db, now }: { db: Db; now: Date }): Promise<MaintenanceSummary> {
  const summary: MaintenanceSummary = { ticketsExpired: 0, documentsPurged: 0, challengesPurged: 0, resetsPurged: 0, failed: [] };
  const steps: [keyof Omit<MaintenanceSummary, 'failed'>, () => Promise<number>][] = [
    // Expire first, so a ticket closed now starts its retention clock in the same run.
    ['ticketsExpired', () => expireStaleTickets({ db, now })],
    ['documentsPurged', () => purgeExpiredDocuments({ db, now })],
    ['challengesPurged', () => purgeStaleChallenges(db, now)],
    ['resetsPurged', () => purgeStaleResets(db, now)],
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
export function startMaintenanceTimer({ db, intervalMs = 3_600_000 }: { db: Db; intervalMs?: number }) {
  const timer = setInterval(() => {
    void runMaintenance({ db, now: new Date() }).then((summary) => log.info('maintenance_run', summary));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
