import { z } from 'zod';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { errorResponse } from '@/lib/errors';
import { getAccountSecurityForHost } from '@/lib/platform/account-security';
import { authorizeHostRequest } from '@/lib/platform/api-keys';

const params = z.object({ accountId: z.uuid({ message: 'must be an account id (UUID)' }) });

// GET /api/v1/accounts/:accountId/security → { accountId, factors, hold } for the host platform.
// The key is checked before the id, so an unauthenticated caller cannot probe even the id format.
export async function GET(request: Request, context: { params: Promise<{ accountId: string }> }) {
  try {
    const db = getPrisma();
    const now = new Date();
    await authorizeHostRequest({ db, hmacKey: getConfig().hmacKey, authorization: request.headers.get('authorization'), now });
    const { accountId } = params.parse(await context.params);
    const security = await getAccountSecurityForHost({ db, accountId: accountId.toLowerCase(), now });
    return Response.json(security, { headers: { 'Cache-Control': 'no-store' } });
  } catch (error) {
    return errorResponse(error, { route: '/api/v1/accounts/[accountId]/security' });
  }
}
