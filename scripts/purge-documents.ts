// Deletes identity documents past their retention and prints how many: `npm run documents:purge`.
// Meant for cron (daily is plenty): security.md rule 19 keeps documents 90 days after the ticket
// closes, or until a document's own deleteAfter. Safe to run twice at once (rows are claimed with
// SKIP LOCKED). Uses the server's environment (DATABASE_URL).
import { getPrisma } from '@/lib/db/client';
import { DEFAULT_RETENTION_DAYS, purgeExpiredDocuments } from '@/lib/recovery/documents';

const db = getPrisma();
const purged = await purgeExpiredDocuments({ db, now: new Date() });
await db.$disconnect();
console.log(`Documents: ${purged} deleted (retention ${DEFAULT_RETENTION_DAYS} days after the ticket closes).`);
