// `npm run db:migrate`: applies the committed Prisma migrations, then creates or updates the job
// queue's tables (schema graphile_worker). Uses DATABASE_URL; safe to run on every deploy.
import { migrateDeploy } from '@/lib/db/migrate';

// Only the connection string, not getConfig(): migrating must not need the app's secrets.
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('DATABASE_URL is not set: say which PostgreSQL to migrate.');
  process.exit(1);
}
await migrateDeploy(databaseUrl);
console.log('Migrations applied; job queue tables are up to date.');
