import { z } from 'zod';
import { AppError, errorResponse } from '@/lib/errors';
import { assertSameOrigin, clientIp } from '@/lib/http/request';
import { verifyCode } from '@/lib/verification/challenges';
import { apiVerificationDeps } from '../deps';

const body = z.object({ challengeId: z.string().max(64), code: z.string().max(20) });

const ended = { expired: 'This code has expired.', used: 'This code was already used.', locked: 'Too many wrong codes: start again.' } as const;

// POST /api/recovery/verify {challengeId, code} → 200 verified, 422 wrong (with attempts left), 409 ended.
export async function POST(request: Request) {
  try {
    assertSameOrigin(request);
    const input = body.parse(await request.json().catch(() => ({})));
    const result = await verifyCode(apiVerificationDeps(), { ...input, ip: clientIp(request.headers) });
    if (result.status === 'verified') return Response.json({ status: 'verified' }, { headers: { 'Cache-Control': 'no-store' } });
    if (result.status === 'wrong') {
      throw new AppError({ code: 'validation_failed', userMessage: 'That code is not right.', fieldErrors: { code: [`That code is not right. ${result.attemptsLeft} attempts left.`] } });
    }
    throw new AppError({ code: 'conflict', userMessage: ended[result.status] });
  } catch (error) {
    return errorResponse(error, { route: '/api/recovery/verify' });
  }
}
