'use server';

import { randomBytes } from 'node:crypto';
import { cookies, headers } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { AppError, runAction, type ActionResult } from '@/lib/errors';
import { getHelpCenter } from '@/lib/help/center';
import { voteInput, voteOnArticle } from '@/lib/help/engagement';
import { clientIp, requestNow } from '@/lib/http/request';

const VOTER_COOKIE = 'regain_voter';

export type VoteState = ActionResult<{ helpful: boolean; commented: boolean }> | undefined;

// A random, first-party id so a visitor can change their vote; only its keyed hash is stored.
export async function voteAction(slug: string, _previous: VoteState, form: FormData): Promise<VoteState> {
  return runAction(
    async () => {
      const { library } = await getHelpCenter();
      if (!library.bySlug.has(slug)) throw new AppError({ code: 'not_found', userMessage: 'That article no longer exists.' });
      const input = voteInput.parse({ helpful: form.get('helpful'), comment: form.get('comment') ?? undefined });

      const jar = await cookies();
      let voterId = jar.get(VOTER_COOKIE)?.value;
      if (!voterId || !/^[A-Za-z0-9_-]{16,64}$/.test(voterId)) {
        voterId = randomBytes(16).toString('base64url');
        jar.set(VOTER_COOKIE, voterId, {
          httpOnly: true,
          sameSite: 'lax',
          secure: getConfig().isProduction,
          path: '/',
          maxAge: 60 * 60 * 24 * 365,
        });
      }
      await voteOnArticle({ db: getPrisma(), hmacKey: getConfig().hmacKey, slug, voterId, ip: clientIp(await headers()), now: requestNow(jar), ...input });
      return { helpful: input.helpful, commented: Boolean(input.comment) && !input.helpful };
    },
    { action: 'vote', slug },
  );
}
