// Every housekeeping and retention step once, now: `npm run maintenance`. A running server already
// runs each step on its schedule (lib/worker CRONTAB, once per cluster); running this beside it is
// safe. Uses the server's environment (DATABASE_URL, RETENTION_*).
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { runMaintenance } from '@/lib/maintenance';

const db = getPrisma();
const config = getConfig();
const summary = await runMaintenance({ db, delivery: getDelivery(), hmacKey: config.hmacKey, appUrl: config.appUrl, cancelWindowHours: config.ticketCancelWindowHours, retention: config.retention, now: new Date() });
await db.$disconnect();
console.log(
  `Maintenance: ${summary.approvalsRetried} stuck approvals completed, ${summary.ticketsExpired} tickets expired, ${summary.documentsPurged} documents deleted (90 days after closing), ` +
    `${summary.challengesPurged} passkey challenges and ${summary.resetsPurged} old resets removed, audit head anchored: ${summary.auditAnchored ? 'yes' : 'no'}.`,
);
console.log(`Retention: ${Object.entries(summary.purged).map(([step, rows]) => `${step.replace('retention:', '')} ${rows}`).join(', ')}.`);
if (summary.failed.length) {
  console.error(`Failed steps: ${summary.failed.join(', ')} (see the log above).`);
  process.exit(1);
}
