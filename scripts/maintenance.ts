// Scheduled housekeeping, for cron (hourly or daily): `npm run maintenance`. A running server does
// the same every hour; running both is safe. Uses the server's environment (DATABASE_URL).
import { getPrisma } from '@/lib/db/client';
import { runMaintenance } from '@/lib/maintenance';

const db = getPrisma();
const summary = await runMaintenance({ db, now: new Date() });
await db.$disconnect();
console.log(
  `Maintenance: ${summary.ticketsExpired} tickets expired, ${summary.documentsPurged} documents deleted (90 days after closing), ` +
    `${summary.challengesPurged} passkey challenges and ${summary.resetsPurged} old resets removed.`,
);
if (summary.failed.length) {
  console.error(`Failed steps: ${summary.failed.join(', ')} (see the log above).`);
  process.exit(1);
}
