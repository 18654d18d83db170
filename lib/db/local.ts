import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from './embedded';
import { migrateDeploy } from './migrate';

export type LocalDatabase = { url: string; embedded: boolean; stop(): Promise<void> };

/**
 * The database `npm run dev` and the browser tests run on: DATABASE_URL when set, otherwise an
 * embedded PostgreSQL (persistent under dataDir, or throwaway). Migrations are applied either way.
 */
export async function prepareLocalDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  ephemeral?: boolean;
  log?: (line: string) => void;
}): Promise<LocalDatabase> {
  const log = options.log ?? (() => {});
  if (options.databaseUrl) {
    log('Using the PostgreSQL server in DATABASE_URL; no embedded server started.');
    await migrateDeploy(options.databaseUrl, { quiet: true });
    return { url: options.databaseUrl, embedded: false, stop: async () => {} };
  }

  const dataDir = options.ephemeral
    ? mkdtempSync(path.join(tmpdir(), 'regain-pg-'))
    : path.join(options.dataDir, 'postgres');
  log(`Starting the embedded PostgreSQL on 127.0.0.1:${options.port} (data in ${dataDir})...`);
  const server = await startEmbeddedPostgres({ dataDir, port: options.port, persistent: !options.ephemeral });
  try {
    await server.ensureDatabase('regain');
    const url = server.urlFor('regain');
    await migrateDeploy(url, { quiet: true });
    return {
      url,
      embedded: true,
      async stop() {
        await server.stop();
        if (options.ephemeral) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
