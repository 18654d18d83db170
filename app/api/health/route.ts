import { getPrisma } from '@/lib/db/client';
import { checkHealth, healthHttpStatus } from '@/lib/health';
import { getHelpCenter } from '@/lib/help/center';

export async function GET() {
  // engineStatus is read per request: it changes when Meilisearch goes away or comes back.
  const searchEngine = await getHelpCenter()
    .then((center) => center.engineStatus)
    .catch(() => 'unavailable');
  const report = await checkHealth({ db: getPrisma(), searchEngine });
  return Response.json(report, {
    status: healthHttpStatus(report),
    headers: { 'Cache-Control': 'no-store' },
  });
}
