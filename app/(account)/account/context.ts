import { cookies, headers } from 'next/headers';
import { after } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { AppError } from '@/lib/errors';
import { clientIp, requestNow } from '@/lib/http/request';
import { currentUser } from '@/lib/sessions/auth';
import type { Actor, ChangeDeps } from '@/lib/sessions/changes';

/** The signed-in person behind a server action, checked again (never trusted from the page). */
export async function accountActor(): Promise<{ deps: ChangeDeps; actor: Actor }> {
  const user = await currentUser();
  if (!user) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Please sign in again.' });
  const [list, jar] = await Promise.all([headers(), cookies()]);
  const config = getConfig();
  return {
    deps: {
      db: getPrisma(),
      hmacKey: config.hmacKey,
      encryptionKey: config.encryptionKey,
      rp: config.webauthn,
      delivery: getDelivery(),
      now: requestNow(jar),
      // Notices go out after the response, so a slow mail server never holds the page.
      schedule: (work) => after(work),
    },
    actor: { userId: user.userId, sessionId: user.sessionId, ip: clientIp(list), userAgent: list.get('user-agent') },
  };
}
