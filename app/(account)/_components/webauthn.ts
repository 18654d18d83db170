'use client';

import { WebAuthnError } from '@simplewebauthn/browser';

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
