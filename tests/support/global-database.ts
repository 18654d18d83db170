import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '@/lib/db/embedded';
import { migrateDeploy } from '@/lib/db/migrate';
import { createThrowawayDir, removeThrowawayDir } from '@/lib/db/throwaway';
import { assertLocalDatabaseUrl, TEMPLATE_DATABASE } from './database-url';
import { freePort } from './ports';

/**
 * One PostgreSQL per test run: DATABASE_URL when set (local only), else an embedded server.
 * Migrations are applied once to a template database; each test file copies it (tests/support/db.ts).
 */
export default async function setup(project: TestProject) {
  let adminUrl: string;
  let stop = async () => {};

  if (process.env.DATABASE_URL) {
    assertLocalDatabaseUrl(process.env.DATABASE_URL);
    adminUrl = process.env.DATABASE_URL;
  } else {
    const throwaway = await createThrowawayDir('test-pg');
    try {
      const server = await startEmbeddedPostgres({ dataDir: path.join(throwaway, 'data'), port: await freePort(), persistent: false });
      adminUrl = server.urlFor('postgres');
      stop = async () => {
        await server.stop();
        removeThrowawayDir(throwaway);
      };
    } catch (error) {
      removeThrowawayDir(throwaway);
      throw error;
    }
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  await migrateDeploy(templateUrl.toString(), { quiet: true });

  project.provide('databaseAdminUrl', adminUrl);
  return stop;
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseAdminUrl: string;
  }
}
