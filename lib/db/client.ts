import 'server-only';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { getConfig } from '@/lib/config';
import { log } from '@/lib/log';
import { PrismaClient } from './generated/client';

export type Db = PrismaClient;

export function createPrisma(databaseUrl: string, options: { max?: number } = {}): PrismaClient {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
  // The adapter listens for errors on a connection only once it holds it; a server that shuts down
  // while a connection is opening would otherwise raise an uncaught exception and end the process.
  pool.on('connect', (client) => client.on('error', (error) => log.warn('database_connection_error', { error: error.message })));
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}

// One client per process; the global survives Next.js dev-server module reloads.
const globalForPrisma = globalThis as unknown as { regainPrisma?: PrismaClient };

export function getPrisma(): PrismaClient {
  globalForPrisma.regainPrisma ??= createPrisma(getConfig().databaseUrl);
  return globalForPrisma.regainPrisma;
}
