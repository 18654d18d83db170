import { z } from 'zod';
import { errorResponse } from '@/lib/errors';
import { assertSameOrigin, clientIp } from '@/lib/http/request';
import { startRecovery } from '@/lib/verification/challenges';
import { apiVerificationDeps } from '../deps';

const body = z.object({ identifier: z.string() });

// POST /api/recovery/start {identifier} → the same answer whether or not an account exists.
export async function POST(request: Request) {
  try {
    assertSameOrigin(request);
    const { identifier } = body.parse(await request.json().catch(() => ({})));
    const { challengeId, view } = await startRecovery(apiVerificationDeps(), { identifier, ip: clientIp(request.headers), userAgent: request.headers.get('user-agent') });
    return Response.json({ challengeId, challenge: view }, { status: 201, headers: { 'Cache-Control': 'no-store' } });
  } catch (error) {
    return errorResponse(error, { route: '/api/recovery/start' });
  }
}
