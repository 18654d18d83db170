import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Logger, runMigrations } from 'graphile-worker';

const require = createRequire(import.meta.url);

/**
 * Applies the committed migrations with the Prisma CLI (`prisma migrate deploy`), then creates or
 * updates the job queue's tables (schema graphile_worker, versioned by graphile-worker itself).
 */
export async function migrateDeploy(databaseUrl: string, options: { quiet?: boolean } = {}): Promise<void> {
  await prismaMigrateDeploy(databaseUrl, options);
  const quiet = new Logger(() => () => {});
  await runMigrations({ connectionString: databaseUrl, logger: quiet });
}

/**
 * prisma.config.ts points the CLI at the bundled offline schema engine, so this works without
 * Prisma's download host.
 */
function prismaMigrateDeploy(databaseUrl: string, options: { quiet?: boolean }): Promise<void> {
  const cli = require.resolve('prisma/build/index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'migrate', 'deploy'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: ['ignore', options.quiet ? 'pipe' : 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
      if (!options.quiet) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`prisma migrate deploy failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}
