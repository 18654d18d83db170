import type { Task, TaskList } from 'graphile-worker';
import { anchorAuditHead } from '@/lib/audit';
import { RETENTION_DAYS, type RetentionDays } from '@/lib/config';
import type { Db } from '@/lib/db/client';
import { purgeOutboundMessages } from '@/lib/delivery/retention';
import type { Delivery } from '@/lib/delivery/types';
import { rollUpArticleViews, purgeSearchQueries } from '@/lib/help/retention';
import { purgeDeadJobs } from '@/lib/jobs';
import { purgeRateLimitBuckets } from '@/lib/limits/retention';
import { log } from '@/lib/log';
import { purgeStaleChallenges } from '@/lib/passkeys';
import { purgeExpiredDocuments } from '@/lib/recovery/documents';
import { purgeStaleResets } from '@/lib/recovery/resets';
import { retryUnappliedApprovals } from '@/lib/recovery/ticket-reset';
import { expireStaleTickets } from '@/lib/recovery/tickets';
import { purgeEndedSessions, purgeSignInEvents } from '@/lib/sessions/retention';
import { purgeVerificationChallenges } from '@/lib/verification/retention';
import { purgeDeliveredWebhooks } from '@/lib/webhooks';

/**
 * The scheduled housekeeping of every capability: tickets past their deadlines expire, identity
 * documents past retention are deleted (docs/security.md rule 19), spent WebAuthn challenges and old
 * resets are removed, an approval whose reset did not finish is run again, every growing table is
 * purged after its retention period (config RETENTION_*; README, "Retention"), and the audit head is
 * anchored (rule 20). The audit log itself is never purged: it is a hash chain pinned by anchors the
 * host keeps, and deleting its oldest rows would break every verification.
 *
 * Each step is a graphile-worker task that lib/worker schedules as a cron item (once per cluster,
 * whatever the number of app instances); runMaintenance runs them all once, for `npm run maintenance`
 * and tests. Each step is independent: one failing never stops the rest. Each returns how many rows
 * it handled.
 */

/** What housekeeping needs besides the database: a retried reset mails its link (config values). */
export type MaintenanceDeps = {
  db: Db;
  delivery: Delivery;
  hmacKey: Buffer;
  appUrl: string;
  cancelWindowHours?: number | undefined;
  /** Days each table keeps its rows (config `retention`); the defaults of RETENTION_DAYS when absent. */
  retention?: RetentionDays | undefined;
};

export const DEFAULT_RETENTION: RetentionDays = Object.fromEntries(Object.values(RETENTION_DAYS).map((r) => [r.field, r.default])) as RetentionDays;

type Step = (deps: MaintenanceDeps & { retention: RetentionDays }, now: Date) => Promise<number>;

/** Task identifier → step, in the order runMaintenance runs them. */
export const HOUSEKEEPING_STEPS = {
  // Before expiry: a stuck approval gets its link rather than lapsing unseen.
  'housekeeping:retry-approvals': ({ db, delivery, hmacKey, appUrl, cancelWindowHours }, now) => retryUnappliedApprovals({ db, delivery, hmacKey, appUrl, cancelWindowHours, now }),
  // Expire first, so a ticket closed now starts its retention clock in the same run.
  'housekeeping:expire-tickets': ({ db }, now) => expireStaleTickets({ db, now }),
  'housekeeping:purge-documents': ({ db }, now) => purgeExpiredDocuments({ db, now }),
  'housekeeping:purge-webauthn-challenges': ({ db }, now) => purgeStaleChallenges(db, now),
  'housekeeping:purge-resets': ({ db }, now) => purgeStaleResets(db, now),
  'retention:rate-limit-buckets': ({ db, retention }, now) => purgeRateLimitBuckets({ db, now, days: retention.rateLimitBuckets }),
  'retention:verification-challenges': ({ db, retention }, now) => purgeVerificationChallenges({ db, now, days: retention.verificationChallenges }),
  'retention:outbound-messages': ({ db, retention }, now) => purgeOutboundMessages({ db, now, days: retention.outboundMessages }),
  'retention:webhook-deliveries': ({ db, retention }, now) => purgeDeliveredWebhooks({ db, now, days: retention.deliveredWebhooks }),
  'retention:search-queries': ({ db, retention }, now) => purgeSearchQueries({ db, now, days: retention.searchQueries }),
  'retention:article-views': ({ db, retention }, now) => rollUpArticleViews({ db, now, days: retention.articleViews }),
  'retention:sign-in-events': ({ db, retention }, now) => purgeSignInEvents({ db, now, days: retention.signInEvents }),
  'retention:sessions': ({ db, retention }, now) => purgeEndedSessions({ db, now, days: retention.sessions }),
  'retention:dead-jobs': ({ db, retention }, now) => purgeDeadJobs({ db, now, days: retention.deadJobs }),
  // Last, so the anchor pins everything this run wrote (docs/security.md rule 20).
  'housekeeping:anchor-audit': ({ db }, now) => anchorAuditHead({ db, now, reason: 'schedule' }).then(() => 1),
} satisfies Record<string, Step>;

export type HousekeepingTask = keyof typeof HOUSEKEEPING_STEPS;

/** The housekeeping steps as graphile-worker tasks; "now" is the time the job runs. */
export function housekeepingTaskList(deps: MaintenanceDeps, clock: () => Date = () => new Date()): TaskList {
  const full = { ...deps, retention: deps.retention ?? DEFAULT_RETENTION };
  const entries = Object.entries(HOUSEKEEPING_STEPS).map(([name, step]): [string, Task] => [
    name,
    async () => {
      const handled = await (step as Step)(full, clock());
      if (handled) log.info('housekeeping_step', { step: name, handled });
    },
  ]);
  return Object.fromEntries(entries);
}

export type MaintenanceSummary = {
  approvalsRetried: number;
  ticketsExpired: number;
  documentsPurged: number;
  challengesPurged: number;
  resetsPurged: number;
  auditAnchored: number;
  /** Rows deleted by each retention purge (task identifier → rows). */
  purged: Record<string, number>;
  failed: string[];
};

const SUMMARY_FIELD: Partial<Record<HousekeepingTask, keyof Omit<MaintenanceSummary, 'purged' | 'failed'>>> = {
  'housekeeping:retry-approvals': 'approvalsRetried',
  'housekeeping:expire-tickets': 'ticketsExpired',
  'housekeeping:purge-documents': 'documentsPurged',
  'housekeeping:purge-webauthn-challenges': 'challengesPurged',
  'housekeeping:purge-resets': 'resetsPurged',
  'housekeeping:anchor-audit': 'auditAnchored',
};

/** Every step once, in order: `npm run maintenance`, and tests. */
export async function runMaintenance({ now, ...deps }: MaintenanceDeps & { now: Date }): Promise<MaintenanceSummary> {
  const summary: MaintenanceSummary = { approvalsRetried: 0, ticketsExpired: 0, documentsPurged: 0, challengesPurged: 0, resetsPurged: 0, auditAnchored: 0, purged: {}, failed: [] };
  const full = { ...deps, retention: deps.retention ?? DEFAULT_RETENTION };
  for (const [name, step] of Object.entries(HOUSEKEEPING_STEPS) as [HousekeepingTask, Step][]) {
    try {
      const handled = await step(full, now);
      const field = SUMMARY_FIELD[name];
      if (field) summary[field] = handled;
      else summary.purged[name] = handled;
    } catch (error) {
      summary.failed.push(name);
      log.error('maintenance_step_failed', { step: name, error });
    }
  }
  return summary;
}
