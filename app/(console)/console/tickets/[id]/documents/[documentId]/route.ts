import { cookies } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { errorResponse } from '@/lib/errors';
import { clientIp, requestNow } from '@/lib/http/request';
import { DOCUMENT_CONTENT_SECURITY_POLICY } from '@/lib/http/security-headers';
import { openDocumentForAgent } from '@/lib/recovery/console';
import { currentAgent } from '@/lib/sessions/auth';

/**
 * An identity document for the console (docs/security.md rule 19: never a public URL; only agents
 * working the ticket; every open audited). openDocumentForAgent checks the agent, decrypts, records
 * the view and watermarks images. The answer is only ever an image (rule 29), never cached or
 * sniffed, never framed elsewhere.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; documentId: string }> }) {
  const base = {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    // Whatever the bytes are, nothing in them runs or loads anything (the proxy sends the same).
    'Content-Security-Policy': DOCUMENT_CONTENT_SECURITY_POLICY,
  };
  try {
    const agent = await currentAgent();
    if (!agent) return Response.json({ error: { code: 'unauthorized', message: 'Sign in to the console first.' } }, { status: 401, headers: base });
    const { id, documentId } = await params;
    const document = await openDocumentForAgent({
      db: getPrisma(),
      masterKey: getConfig().encryptionKey,
      agent,
      ticketId: id,
      documentId,
      now: requestNow(await cookies()),
      ip: clientIp(request.headers),
      userAgent: request.headers.get('user-agent'),
    });
    return new Response(new Uint8Array(document.bytes), {
      status: 200,
      headers: { ...base, 'Content-Type': document.mimeType, 'Content-Disposition': 'inline', 'Content-Length': String(document.bytes.length), 'X-Watermarked': document.watermarked ? 'yes' : 'no' },
    });
  } catch (error) {
    const response = errorResponse(error, { route: 'console.document' });
    for (const [name, value] of Object.entries(base)) response.headers.set(name, value);
    return response;
  }
}
