import { cookies } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { errorResponse } from '@/lib/errors';
import { clientIp, requestNow } from '@/lib/http/request';
import { DOCUMENT_CONTENT_SECURITY_POLICY } from '@/lib/http/security-headers';
import { openFaceCropForAgent } from '@/lib/recovery/console';
import { currentAgent } from '@/lib/sessions/auth';

/**
 * The face cut out of a selfie or a document front, for the console's "Face match" panel. The same
 * rules as the whole document (../../documents/[documentId]/route.ts): agents working the ticket
 * only, every open audited, watermarked, never cached. Cut on demand from the stored image; nothing
 * about the face is kept. Not served when face matching is turned off (FACE_MATCH=off).
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; documentId: string }> }) {
  const base = {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': DOCUMENT_CONTENT_SECURITY_POLICY,
  };
  try {
    const agent = await currentAgent();
    if (!agent) return Response.json({ error: { code: 'unauthorized', message: 'Sign in to the console first.' } }, { status: 401, headers: base });
    const config = getConfig();
    if (config.faceMatch === 'off') return Response.json({ error: { code: 'not_found', message: 'Face matching is turned off.' } }, { status: 404, headers: base });
    const { id, documentId } = await params;
    const crop = await openFaceCropForAgent({
      db: getPrisma(),
      masterKey: config.encryptionKey,
      agent,
      ticketId: id,
      documentId,
      now: requestNow(await cookies()),
      ip: clientIp(request.headers),
      userAgent: request.headers.get('user-agent'),
    });
    return new Response(new Uint8Array(crop.bytes), {
      status: 200,
      headers: { ...base, 'Content-Type': crop.mimeType, 'Content-Disposition': 'inline', 'Content-Length': String(crop.bytes.length) },
    });
  } catch (error) {
    const response = errorResponse(error, { route: 'console.face_crop' });
    for (const [name, value] of Object.entries(base)) response.headers.set(name, value);
    return response;
  }
}
