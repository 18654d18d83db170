import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { handleTwilioStatusCallback } from '@/lib/delivery/status';
import { AppError, errorResponse } from '@/lib/errors';

// Twilio's callbacks are a few hundred bytes; anything far larger is not from Twilio.
const MAX_BODY_BYTES = 64 * 1024;

// POST /api/webhooks/twilio/status — delivery reports for texts and calls (form-encoded, signed).
export async function POST(request: Request) {
  try {
    const config = getConfig();
    if (config.sms.transport !== 'twilio') {
      throw new AppError({ code: 'not_found', userMessage: 'Not found.' });
    }
    const body = await request.text();
    if (body.length > MAX_BODY_BYTES) throw new AppError({ code: 'validation_failed', userMessage: 'Request body too large.' });
    const incoming = new URL(request.url);
    const result = await handleTwilioStatusCallback({
      db: getPrisma(),
      authToken: config.sms.authToken,
      // Twilio signs the public URL it called; the Host header of the request is not trusted for it.
      url: `${config.appUrl}${incoming.pathname}${incoming.search}`,
      signature: request.headers.get('x-twilio-signature'),
      params: Object.fromEntries(new URLSearchParams(body)),
    });
    if (result === 'forbidden') throw new AppError({ code: 'forbidden', userMessage: 'The request signature is not valid.' });
    return new Response(null, { status: 204, headers: { 'Cache-Control': 'no-store' } });
  } catch (error) {
    return errorResponse(error, { route: '/api/webhooks/twilio/status' });
  }
}
