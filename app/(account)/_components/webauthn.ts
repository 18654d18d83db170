'use client';

import { WebAuthnError } from '@simplewebauthn/browser';
import type { ActionResult } from '@/lib/errors';

/** What to tell a person when the browser's passkey prompt did not finish. */
export function passkeyProblem(error: unknown): string {
  if (error instanceof WebAuthnError) {
    if (error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return 'This passkey is already saved to your account.';
    if (error.code === 'ERROR_CEREMONY_ABORTED') return 'The passkey request was cancelled.';
    if (error.code === 'ERROR_INVALID_DOMAIN' || error.code === 'ERROR_INVALID_RP_ID') return 'Passkeys only work on the address you always use for this service.';
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'NotAllowedError') return 'The passkey request was cancelled or timed out. Try again when you are ready.';
  if (name === 'NotSupportedError' || typeof window === 'undefined' || !window.PublicKeyCredential) {
    return 'This browser cannot use passkeys. Try an up-to-date browser, or use your authenticator app.';
  }
  return 'The passkey did not work. Please try again.';
}

/**
 * One passkey ceremony end to end: the server's options, the browser's prompt, the server's check of
 * the answer. Resolves to the message to show the person, or undefined when it all went through.
 */
export async function passkeyCeremony<Options>(
  begin: () => Promise<ActionResult<Options>>,
  prompt: (options: Options) => Promise<unknown>,
  finish: (response: string) => Promise<ActionResult<unknown>>,
): Promise<string | undefined> {
  const options = await begin();
  if (!options.ok) return options.error.message;
  let response;
  try {
    response = await prompt(options.data);
  } catch (problem) {
    return passkeyProblem(problem);
  }
  const result = await finish(JSON.stringify(response));
  return result.ok ? undefined : result.error.message;
}
