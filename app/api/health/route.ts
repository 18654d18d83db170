import { getPrisma } from '@/lib/db/client';
import { checkHealth } from '@/lib/health';
import { getHelpCenter } from '@/lib/help/center';

export async function GET() {
  const searchEngine = await getHelpCenter()
    .then((center) => center.engineStatus)
    .catch(() => 'unavailable');
  const report = await checkHealth({ db: getPrisma(), searchEngine });
  return Response.json(report, {
    status: report.status === 'ok' ? 200 : 503,
    headers: { 'Cache-Control': 'no-store' },
  });
}
