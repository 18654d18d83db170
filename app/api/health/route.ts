import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { checkHealth } from '@/lib/health';

export async function GET() {
  const report = await checkHealth({ db: getPrisma(), searchEngine: getConfig().search.engine });
  return Response.json(report, {
    status: report.status === 'ok' ? 200 : 503,
    headers: { 'Cache-Control': 'no-store' },
  });
}
