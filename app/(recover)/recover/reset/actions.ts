'use server';

import { cookies } from 'next/headers';
import { after } from 'next/server';
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { AppError, runAction } from '@/lib/errors';
import { parseForm } from '@/lib/forms';
import { lostFactorForm } from '@/lib/forms/recovery';
import { requestNow } from '@/lib/http/request';
import {
  askTrustedDevice,
  beginAuthenticatorRebind,
  beginContactRebind,
  beginPasskeyRebind,
  beginReset,
  checkTrustedDevice,
  finishAuthenticatorRebind,
  finishContactRebind,
  finishPasskeyRebind,
  passkeyProofOptions,
  proveWithAuthenticator,
  proveWithPasskey,
  proveWithRecoveryCode,
  RESET_TTL_SECONDS,
  type ResetDeps,
} from '@/lib/recovery/resets';
import type { ApprovalState } from '../_components/approval-waiting';
import { currentChallengeId, currentReset, rememberReset, requestContext } from '../context';

async function resetDeps(): Promise<ResetDeps & { hmacKey: Buffer }> {
  const config = getConfig();
  return {
    db: getPrisma(),
    hmacKey: config.hmacKey,
    encryptionKey: config.encryptionKey,
    rp: config.webauthn,
    delivery: getDelivery(),
    now: requestNow(await cookies()),
    schedule: (work) => after(work),
  };
}

async function currentResetToken() {
  const token = await currentReset();
  if (!token) throw new AppError({ code: 'conflict', userMessage: 'This recovery has ended. Start again from “Can’t sign in?”.' });
  return token;
}

export async function chooseLostFactorAction(form: FormData) {
  const result = await runAction(async () => {
    const challengeId = await currentChallengeId();
    if (!challengeId) throw new AppError({ code: 'conflict', userMessage: 'Start again from “Can’t sign in?”.' });
    const { resetToken } = await beginReset(await resetDeps(), { challengeId, lostFactor: parseForm(lostFactorForm, form).lost });
    await rememberReset(resetToken);
  }, { action: 'recover.reset.begin' });
  redirect(result.ok ? '/recover/reset' : '/recover');
}

export async function authenticatorProofAction(code: string) {
  return runAction(async () => proveWithAuthenticator(await resetDeps(), { resetToken: await currentResetToken(), code }), { action: 'recover.reset.prove_totp' });
}

export async function recoveryCodeProofAction(code: string) {
  return runAction(
    async () => proveWithRecoveryCode(await resetDeps(), { resetToken: await currentResetToken(), code: String(code).slice(0, 64), ip: (await requestContext()).ip }),
    { action: 'recover.reset.prove_recovery_code' },
  );
}

export async function passkeyProofOptionsAction() {
  return runAction(async () => passkeyProofOptions(await resetDeps(), { resetToken: await currentResetToken() }), { action: 'recover.reset.passkey_options' });
}

export async function passkeyProofAction(response: string) {
  return runAction(async () => proveWithPasskey(await resetDeps(), { resetToken: await currentResetToken(), response: parse(response) }), { action: 'recover.reset.prove_passkey' });
}

export async function askDeviceAction() {
  return runAction(async () => askTrustedDevice(await resetDeps(), { resetToken: await currentResetToken(), ...(await requestContext()) }), { action: 'recover.reset.ask_device' });
}

/** Polled while a signed-in device decides; an approval moves the page on to the binding step. */
export async function deviceProofStatusAction(): Promise<ApprovalState> {
  const resetToken = await currentReset();
  if (!resetToken) return 'ended';
  const state = await checkTrustedDevice(await resetDeps(), { resetToken }).catch(() => 'ended' as const);
  if (state === 'proved') redirect('/recover/reset');
  return state === 'pending' || state === 'denied' ? state : 'ended';
}

export async function beginAuthenticatorRebindAction() {
  return runAction(async () => beginAuthenticatorRebind(await resetDeps(), { resetToken: await currentResetToken() }), { action: 'recover.reset.authenticator_begin' });
}

export async function finishAuthenticatorRebindAction(input: { authenticatorId: string; code: string }) {
  return runAction(
    async () => {
      const { holdEndsAt } = await finishAuthenticatorRebind(await resetDeps(), { resetToken: await currentResetToken(), ...input });
      return { holdEndsAt: holdEndsAt.toISOString() };
    },
    { action: 'recover.reset.authenticator_finish' },
  );
}

export async function beginPasskeyRebindAction() {
  return runAction(async () => beginPasskeyRebind(await resetDeps(), { resetToken: await currentResetToken() }), { action: 'recover.reset.passkey_begin' });
}

export async function finishPasskeyRebindAction(response: string) {
  return runAction(
    async () => {
      const { holdEndsAt } = await finishPasskeyRebind(await resetDeps(), { resetToken: await currentResetToken(), response: parse(response) });
      return { holdEndsAt: holdEndsAt.toISOString() };
    },
    { action: 'recover.reset.passkey_finish' },
  );
}

export async function beginContactRebindAction(value: string) {
  return runAction(async () => beginContactRebind(await resetDeps(), { resetToken: await currentResetToken(), value }), { action: 'recover.reset.contact_begin' });
}

export async function finishContactRebindAction(code: string) {
  return runAction(
    async () => {
      const { holdEndsAt } = await finishContactRebind(await resetDeps(), { resetToken: await currentResetToken(), code });
      return { holdEndsAt: holdEndsAt.toISOString() };
    },
    { action: 'recover.reset.contact_finish' },
  );
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
