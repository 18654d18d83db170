import { errorResponse } from '@/lib/errors';
import { signedInAs } from '@/lib/sessions/auth';

// GET /api/me — who the header's account link is for: an account holder, an agent, or nobody.
// Only the kind of session, re-validated like every page does; never who it is.
export async function GET() {
  try {
    return Response.json({ signedInAs: (await signedInAs()) ?? null });
  } catch (error) {
    return errorResponse(error, { route: '/api/me' });
  }
}
