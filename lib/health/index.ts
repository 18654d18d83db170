import type { Db } from '@/lib/db/client';

export type HealthReport = {
  status: 'ok' | 'degraded';
  db: 'ok' | 'unreachable';
  search: string;
};

/** What /api/health reports: the database answers within the time limit and search is serving. */
export async function checkHealth(options: { db: Db; searchEngine: string; timeoutMs?: number }): Promise<HealthReport> {
  const db = await withTimeout(options.db.$queryRaw`SELECT 1`, options.timeoutMs ?? 2000)
    .then(() => 'ok' as const)
    .catch(() => 'unreachable' as const);
  const ok = db === 'ok' && options.searchEngine !== 'unavailable';
  return { status: ok ? 'ok' : 'degraded', db, search: options.searchEngine };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
