'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { after } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { AppError, runAction, type ActionResult } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { videoJoinForm, videoReferenceForm } from '@/lib/forms/recovery';
import { requestNow } from '@/lib/http/request';
import { JoinRefused, joinAppointment, requestJoinCode, type JoinRefusalReason } from '@/lib/recovery/tickets';
import { forgetPendingCode, readPendingCode, rememberPendingCode } from '../_components/ticket-access';
import { requestContext } from '../context';

export type FormState = ActionResult<unknown> | undefined;

async function context() {
  return { db: getPrisma(), now: requestNow(await cookies()), config: getConfig(), ...(await requestContext()) };
}

async function sendCode(reference: string) {
  const { db, now, config, ip, userAgent } = await context();
  const request = await requestJoinCode({ db, delivery: getDelivery(), hmacKey: config.hmacKey, reference, ip, userAgent, now, schedule: (work) => after(work) });
  // The reference is kept only to offer "send a new code" without retyping it; it is not a secret.
  await rememberPendingCode('video', { challengeId: request.challengeId, expiresAt: request.expiresAt, attemptsLeft: request.attemptsLeft, reference: reference.trim().toUpperCase() });
}

/** Step 1: same answer for every reference; the lib mails a code only for a real call ahead. */
export async function requestJoinCodeAction(_previous: FormState, form: FormData): Promise<FormState> {
  const result = await runAction(() => sendCode(parseForm(videoReferenceForm, form).reference), { action: 'recover.video.request_code' });
  if (result.ok) redirect('/recover/video');
  return result;
}

export async function newJoinCodeAction(_previous: FormState, _form: FormData): Promise<FormState> {
  const result = await runAction(
    async () => {
      const pending = await readPendingCode('video');
      if (!pending?.reference) throw new AppError({ code: 'conflict', userMessage: 'Enter your reference number again to get a new code.' });
      await sendCode(pending.reference);
    },
    { action: 'recover.video.new_code' },
  );
  if (result.ok) redirect('/recover/video');
  return result;
}

export async function startOverAction() {
  await forgetPendingCode('video');
  redirect('/recover/video');
}

export type JoinOutcome =
  | { joined: true; meetingUrl: string; startsAt: string; endsAt: string }
  | {
      joined: false;
      reason: JoinRefusalReason;
      message: string;
      attemptsLeft?: number | undefined;
      window?: { opensAt: string; startsAt: string; endsAt: string; ended: boolean } | undefined;
    };

/**
 * Step 2: the email code and an authenticator code. A refusal is returned as data rather than a
 * plain error, so the page can tell "not yet / already over" (with the times) from "wrong codes"
 * (with the tries left, as the lib counted them).
 */
export async function joinAction(_previous: ActionResult<JoinOutcome> | undefined, form: FormData): Promise<ActionResult<JoinOutcome>> {
  return runAction(
    async (): Promise<JoinOutcome> => {
      const pending = await readPendingCode('video');
      if (!pending) throw new AppError({ code: 'conflict', userMessage: 'Your email code has expired. Enter your reference again to get a new one.' });
      const { db, now, config, ip, userAgent } = await context();
      const { emailCode, authenticatorCode } = parseForm(videoJoinForm, form);
      try {
        const joined = await joinAppointment({
          db,
          hmacKey: config.hmacKey,
          encryptionKey: config.encryptionKey,
          challengeId: pending.challengeId,
          emailCode,
          authenticatorCode,
          ip,
          userAgent,
          now,
        });
        // The link lives on this page only, never in a cookie or URL. The cookie is left alone on
        // purpose: changing it here would re-render the page and drop the link from the screen; the
        // email code in it is spent anyway (a second try says so and offers a new code).
        return { joined: true, meetingUrl: joined.meetingUrl, startsAt: joined.startsAt.toISOString(), endsAt: joined.endsAt.toISOString() };
      } catch (error) {
        if (!(error instanceof JoinRefused)) throw error;
        if (error.reason === 'wrong_codes') await rememberPendingCode('video', { ...pending, attemptsLeft: error.details.attemptsLeft ?? 0 });
        const w = error.details.window;
        return {
          joined: false,
          reason: error.reason,
          message: error.userMessage,
          attemptsLeft: error.details.attemptsLeft,
          window: w ? { opensAt: w.opensAt.toISOString(), startsAt: w.startsAt.toISOString(), endsAt: w.endsAt.toISOString(), ended: w.endsAt <= now } : undefined,
        };
      }
    },
    { action: 'recover.video.join' },
  );
}
