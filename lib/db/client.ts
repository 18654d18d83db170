import { PrismaPg } from '@prisma/adapter-pg';
import { getConfig } from '@/lib/config';
import { PrismaClient } from './generated/client';

export type Db = PrismaClient;

export function createPrisma(databaseUrl: string, options: { max?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
  return new PrismaClient({ adapter });
}

// One client per process; the global survives Next.js dev-server module reloads.
const globalForPrisma = globalThis as unknown as { regainPrisma?: PrismaClient };

export function getPrisma(): PrismaClient {
  globalForPrisma.regainPrisma ??= createPrisma(getConfig().databaseUrl);
  return globalForPrisma.regainPrisma;
}
