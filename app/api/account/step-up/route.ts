import { CredentialsSignin } from 'next-auth';
import { z } from 'zod';
import { AppError, errorResponse } from '@/lib/errors';
import { assertSameOrigin } from '@/lib/http/request';
import { signIn, SignInRefused } from '@/lib/sessions/auth';

const body = z.object({ code: z.string().max(20).optional(), passkeyResponse: z.string().max(20_000).optional() });

/**
 * POST /api/account/step-up: the signed-in person confirms a factor again (rule 17) and gets a
 * renewed session cookie (rule 15). A route handler rather than a server action: a server action
 * that sets a cookie makes Next re-render the page, which would drop the change the person was
 * in the middle of.
 */
export async function POST(request: Request) {
  try {
    assertSameOrigin(request);
    const input = body.parse(await request.json().catch(() => ({})));
    try {
      await signIn('step-up', { code: input.code ?? '', passkeyResponse: input.passkeyResponse ?? '', redirect: false });
    } catch (error) {
      if (error instanceof SignInRefused) {
        throw new AppError({ code: 'unauthorized', userMessage: error.userMessage, ...(error.retryAfterSeconds ? { retryAfterSeconds: error.retryAfterSeconds } : {}) });
      }
      if (error instanceof CredentialsSignin) throw new AppError({ code: 'unauthorized', userMessage: "That didn't match. Try again." });
      throw error;
    }
    return Response.json({ ok: true }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (error) {
    return errorResponse(error, { route: '/api/account/step-up' });
  }
}
