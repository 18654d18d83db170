import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

/**
 * The browser's answer arrives as JSON we did not write. These parsers accept only the shape
 * WebAuthn defines and rebuild it from the fields we checked, so the library never sees a getter,
 * a prototype trick or a number where a string belongs, and nothing a client sends becomes a 500.
 * Returning undefined means "not a WebAuthn response".
 */

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** WebAuthn §5.1: a credential id is at most 1023 bytes (1364 base64url characters). */
const MAX_CREDENTIAL_ID_CHARS = 1364;
/** Generous for real responses (attestation objects with certificate chains stay well under this). */
const MAX_FIELD_CHARS = 64 * 1024;
/** Our challenges are 32 bytes (43 characters); anything far longer was not issued by us. */
const MAX_CHALLENGE_CHARS = 128;

const KNOWN_TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

export type ParsedRegistration = { response: RegistrationResponseJSON; challenge: string; transports: string[] };
export type ParsedAssertion = { response: AuthenticationResponseJSON; challenge: string; credentialId: string; userHandle: string | undefined };

export function parseRegistrationResponse(input: unknown): ParsedRegistration | undefined {
  const common = parseCommon(input);
  if (!common) return undefined;
  const attestationObject = base64url(common.inner.attestationObject, MAX_FIELD_CHARS);
  if (!attestationObject) return undefined;
  const transports = parseTransports(common.inner.transports);
  if (!transports) return undefined;
  const challenge = challengeOf(common.clientDataJSON);
  if (!challenge) return undefined;
  return {
    challenge,
    transports,
    response: {
      id: common.id,
      rawId: common.id,
      type: 'public-key',
      response: { clientDataJSON: common.clientDataJSON, attestationObject, transports },
      clientExtensionResults: {},
    },
  };
}

export function parseAuthenticationResponse(input: unknown): ParsedAssertion | undefined {
  const common = parseCommon(input);
  if (!common) return undefined;
  const authenticatorData = base64url(common.inner.authenticatorData, MAX_FIELD_CHARS);
  const signature = base64url(common.inner.signature, MAX_FIELD_CHARS);
  if (!authenticatorData || !signature) return undefined;
  // WebAuthn §5.4.3: a user handle is at most 64 bytes. Absent and null both mean "none given".
  const rawHandle = common.inner.userHandle;
  const userHandle = rawHandle === undefined || rawHandle === null || rawHandle === '' ? undefined : base64url(rawHandle, 88);
  if (rawHandle !== undefined && rawHandle !== null && rawHandle !== '' && !userHandle) return undefined;
  const challenge = challengeOf(common.clientDataJSON);
  if (!challenge) return undefined;
  return {
    challenge,
    credentialId: common.id,
    userHandle,
    response: {
      id: common.id,
      rawId: common.id,
      type: 'public-key',
      response: { clientDataJSON: common.clientDataJSON, authenticatorData, signature, ...(userHandle ? { userHandle } : {}) },
      clientExtensionResults: {},
    },
  };
}

function parseCommon(input: unknown) {
  if (!isRecord(input)) return undefined;
  const id = base64url(input.id, MAX_CREDENTIAL_ID_CHARS);
  // The id and rawId are the same bytes; a client that sends two different ones is not a browser.
  if (!id || input.rawId !== id || input.type !== 'public-key') return undefined;
  const inner = input.response;
  if (!isRecord(inner)) return undefined;
  const clientDataJSON = base64url(inner.clientDataJSON, MAX_FIELD_CHARS);
  if (!clientDataJSON) return undefined;
  return { id, inner, clientDataJSON };
}

/**
 * The challenge the client says it signed, used only to find our stored challenge row; the
 * library then checks the response against that row's value (rule 7).
 */
function challengeOf(clientDataJSON: string): string | undefined {
  let clientData: unknown;
  try {
    clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(clientData)) return undefined;
  return base64url(clientData.challenge, MAX_CHALLENGE_CHARS);
}

/** Transports are hints the browser reports; keep the known ones, once each. */
function parseTransports(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 16) return undefined;
  if (!value.every((t) => typeof t === 'string')) return undefined;
  return [...new Set(value.filter((t: string) => KNOWN_TRANSPORTS.has(t)))].sort();
}

function base64url(value: unknown, maxChars: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= maxChars && BASE64URL.test(value) ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
