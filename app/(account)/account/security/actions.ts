'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { AppError, runAction } from '@/lib/errors';
import { startPasskeySignIn } from '@/lib/passkeys';
import { currentUser, signOut } from '@/lib/sessions/auth';
import {
  beginAuthenticatorLink,
  beginPasskeyRegistration,
  completePasskeyRegistration,
  confirmAuthenticatorLink,
  createRecoveryCodes,
  removePasskey,
  renameOwnPasskey,
  reportUnrecognisedActivity,
  reportUnrecognisedPasskey,
  signOutDevice,
} from '@/lib/sessions/changes';
import { signOutSession } from '@/lib/sessions/sign-in';
import { accountActor } from '../context';

const PAGE = '/account/security';

export async function signOutAction() {
  const user = await currentUser();
  if (user) await signOutSession(getPrisma(), user.sessionId, new Date());
  await signOut({ redirect: false });
  redirect('/signin');
}

/** Options for a step-up with one of the person's own passkeys. */
export async function stepUpOptionsAction() {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    return startPasskeySignIn({ db: deps.db, rp: getConfig().webauthn, now: deps.now, purpose: 'step-up', owner: { userId: actor.userId } });
  }, { action: 'account.step_up_options' });
}

export async function passkeyOptionsAction(hint: 'localDevice' | 'remoteDevice' | 'securityKey') {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    return beginPasskeyRegistration(deps, actor, { hint: ['localDevice', 'remoteDevice', 'securityKey'].includes(hint) ? hint : undefined });
  }, { action: 'passkey.options' });
}

export async function addPasskeyAction(input: { response: string; name: string }) {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    const passkey = await completePasskeyRegistration(deps, actor, { response: parseJson(input.response), name: input.name || undefined });
    revalidatePath(PAGE);
    return { name: passkey.name };
  }, { action: 'passkey.add' });
}

export async function renamePasskeyAction(passkeyId: string, name: string) {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    await renameOwnPasskey(deps, actor, { passkeyId, name });
    revalidatePath(PAGE);
    return true;
  }, { action: 'passkey.rename' });
}

export async function deletePasskeyAction(passkeyId: string) {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    const removed = await removePasskey(deps, actor, { passkeyId });
    revalidatePath(PAGE);
    return { name: removed.name };
  }, { action: 'passkey.delete' });
}

export async function reportPasskeyAction(passkeyId: string) {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    const result = await reportUnrecognisedPasskey(deps, actor, { passkeyId });
    revalidatePath(PAGE);
    return { name: result.removed.name, holdEndsAt: result.holdEndsAt.toISOString() };
  }, { action: 'passkey.report' });
}

export async function beginAuthenticatorAction() {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    return beginAuthenticatorLink(deps, actor);
  }, { action: 'authenticator.begin' });
}

export async function confirmAuthenticatorAction(input: { authenticatorId: string; code: string }) {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    const result = await confirmAuthenticatorLink(deps, actor, input);
    revalidatePath(PAGE);
    return { replaced: result.replaced, holdEndsAt: result.holdEndsAt?.toISOString() ?? null };
  }, { action: 'authenticator.confirm' });
}

/** A new set of recovery codes, returned once to be shown once; any earlier set stops working. */
export async function createRecoveryCodesAction() {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    const created = await createRecoveryCodes(deps, actor);
    revalidatePath(PAGE);
    return created;
  }, { action: 'recovery_codes.create' });
}

export async function signOutDeviceAction(deviceId: string) {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    const device = await signOutDevice(deps, actor, { deviceId });
    revalidatePath(PAGE);
    return { name: device.name };
  }, { action: 'device.sign_out' });
}

export async function reportActivityAction() {
  return runAction(async () => {
    const { deps, actor } = await accountActor();
    const result = await reportUnrecognisedActivity(deps, actor);
    revalidatePath(PAGE);
    return { sessionsEnded: result.sessionsEnded, holdEndsAt: result.holdEndsAt.toISOString() };
  }, { action: 'account.report_activity' });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError({ code: 'validation_failed', userMessage: "Your browser's answer could not be read. Please try again." });
  }
}
