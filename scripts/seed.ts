// Seeds the demo data into DATABASE_URL (npm run db:seed; npm run dev does it on every start).
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { seedDemoData } from '@/prisma/seed';

const config = getConfig();
if (config.isProduction) {
  console.error('Refusing to seed demo accounts into a production database.');
  process.exit(1);
}
const prisma = getPrisma();
await seedDemoData(prisma, { encryptionKey: config.encryptionKey });
await prisma.$disconnect();
console.log('Demo data is in place.');
