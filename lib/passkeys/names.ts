import { validationError } from '@/lib/errors';

/** What a person sees in the passkey list; derived from what the authenticator reported. */
export type PasskeyKind = 'this_device' | 'synced' | 'security_key';

const ROAMING_TRANSPORTS = ['usb', 'nfc', 'ble'];

/**
 * A backup-eligible (multi-device) credential is synced by a passkey provider; a single-device one
 * reached over USB, NFC or Bluetooth is a security key; anything else lives on one device.
 */
export function kindOf(credential: { deviceType: string; transports: string[] }): PasskeyKind {
  if (credential.deviceType === 'multiDevice') return 'synced';
  if (credential.transports.some((t) => ROAMING_TRANSPORTS.includes(t))) return 'security_key';
  return 'this_device';
}

const DEFAULT_NAMES: Record<PasskeyKind, string> = {
  synced: 'Synced passkey',
  security_key: 'Security key',
  this_device: 'Passkey on this device',
};

export function defaultName(kind: PasskeyKind): string {
  return DEFAULT_NAMES[kind];
}

export const MAX_NAME_LENGTH = 60;

/**
 * Names are shown back to the owner and in notices, so they are plain single-line text: trimmed,
 * inner runs of whitespace collapsed, control characters refused, 1-60 characters.
 */
export function normalizeName(input: unknown): string {
  const name = typeof input === 'string' ? input.trim().replace(/\s+/g, ' ') : '';
  if (!name) throw validationError({ name: ['Give the passkey a name.'] });
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) throw validationError({ name: ['Use letters, numbers and punctuation only.'] });
  if ([...name].length > MAX_NAME_LENGTH) throw validationError({ name: [`Keep the name to ${MAX_NAME_LENGTH} characters or fewer.`] });
  return name;
}
