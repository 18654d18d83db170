import type { Db } from '@/lib/db/client';
import { unverifiedTicketBudget } from '@/lib/recovery/tickets';

export type HealthReport = {
  status: 'ok' | 'degraded';
  db: 'ok' | 'unreachable';
  search: string;
  /** The hourly budget of identity-document tickets opened without a verified code (lib/recovery/policy). */
  documentTickets: 'ok' | 'budget_exhausted' | 'unknown';
};

/** Search as configured: anything else is a fallback ("embedded (meilisearch unreachable)") or "unavailable". */
const SEARCH_AS_CONFIGURED = new Set(['embedded', 'meilisearch']);

/**
 * What /api/health reports: the database answers within the time limit and search is serving from
 * the engine it was configured with. `searchEngine` is the help center's `engineStatus`.
 */
export async function checkHealth(options: { db: Db; searchEngine: string; timeoutMs?: number; now?: Date }): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const db = await withTimeout(options.db.$queryRaw`SELECT 1`, timeoutMs)
    .then(() => 'ok' as const)
    .catch(() => 'unreachable' as const);
  // A spent budget means people are being turned away from document recovery: degraded, but the
  // instance still serves (healthHttpStatus stays 200).
  const documentTickets =
    db === 'ok'
      ? await withTimeout(unverifiedTicketBudget(options.db, options.now ?? new Date()), timeoutMs)
          .then((budget) => (budget.exhausted ? ('budget_exhausted' as const) : ('ok' as const)))
          .catch(() => 'unknown' as const)
      : ('unknown' as const);
  const ok = db === 'ok' && SEARCH_AS_CONFIGURED.has(options.searchEngine) && documentTickets === 'ok';
  return { status: ok ? 'ok' : 'degraded', db, search: options.searchEngine, documentTickets };
}

/**
 * 503 only when this instance cannot serve: the database is unreachable or search is unavailable.
 * Search falling back to the embedded engine is degraded but serving, so it stays 200: a load
 * balancer taking every instance out because Meilisearch is down would turn a slower search into
 * an outage.
 */
export function healthHttpStatus(report: HealthReport): 200 | 503 {
  return report.db === 'ok' && report.search !== 'unavailable' ? 200 : 503;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
