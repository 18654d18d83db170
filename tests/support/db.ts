import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { createPrisma, type Db } from '@/lib/db/client';
import { TEMPLATE_DATABASE } from './database-url';

/**
 * A fresh database for this test file, copied from the migrated template (tens of milliseconds).
 * Dropped when the file finishes.
 */
export async function useTestDatabase(): Promise<{ db: Db; url: string }> {
  const adminUrl = inject('databaseAdminUrl');
  const name = `regain_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createPrisma(url.toString());
  afterAll(async () => {
    await db.$disconnect();
    await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  return { db, url: url.toString() };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
