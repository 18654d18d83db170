'use server';

import { redirect } from 'next/navigation';
import { AppError, runAction, type ActionResult } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { codeForm, startRecoveryForm } from '@/lib/forms/recovery';
import { parseLostFactor } from '@/lib/recovery/policy';
import { resendCode, startRecovery, verifyCode } from '@/lib/verification/challenges';
import { currentChallengeId, rememberChallenge, requestContext, verificationDeps } from './context';

export type FormState = ActionResult<unknown> | undefined;

/** What a self-service tile said was lost, carried from step to step (only a known value). */
function withLost(path: string, form: FormData) {
  const lost = parseLostFactor(form.get('lost'));
  return lost ? `${path}?lost=${lost}` : path;
}

const ended = () => new AppError({ code: 'conflict', userMessage: 'This code request has ended. Start again to get a new code.' });

async function requireChallenge() {
  const challengeId = await currentChallengeId();
  if (!challengeId) throw ended();
  return challengeId;
}

export async function startAction(_previous: FormState, form: FormData): Promise<FormState> {
  const result = await runAction(async () => {
    const { challengeId } = await startRecovery(await verificationDeps(), { identifier: parseForm(startRecoveryForm, form).identifier, ...(await requestContext()) });
    await rememberChallenge(challengeId);
  }, { action: 'recover.start' });
  if (result.ok) redirect(withLost('/recover/verify', form));
  return result;
}

const wrongMessages = {
  expired: 'This code has expired. Ask for a new one below, or start again.',
  used: 'This code was already used. Start again if you still need to verify.',
  locked: 'Too many wrong codes. For your safety this request is closed: start again to get a new code.',
} as const;

export async function verifyAction(_previous: FormState, form: FormData): Promise<FormState> {
  const result = await runAction(async () => {
    const outcome = await verifyCode(await verificationDeps(), { challengeId: await requireChallenge(), code: parseForm(codeForm, form).code, ...(await requestContext()) });
    if (outcome.status === 'verified') return outcome.status;
    if (outcome.status === 'wrong') {
      throw new AppError({
        code: 'validation_failed',
        userMessage: 'That code is not right.',
        fieldErrors: { code: [`That code is not right. ${outcome.attemptsLeft} ${outcome.attemptsLeft === 1 ? 'attempt' : 'attempts'} left.`] },
      });
    }
    throw new AppError({ code: 'conflict', userMessage: wrongMessages[outcome.status] });
  }, { action: 'recover.verify' });
  if (result.ok) redirect(withLost('/recover/verified', form));
  return result;
}

/** `channel` is bound in the page but arrives from the browser like any argument: lib refuses other values. */
export async function resendAction(channel: 'sms' | 'voice' | 'email', _previous: FormState, _form: FormData): Promise<FormState> {
  return runAction(async () => {
    await resendCode(await verificationDeps(), { challengeId: await requireChallenge(), channel, ...(await requestContext()) });
    return channel;
  }, { action: 'recover.resend', channel });
}
