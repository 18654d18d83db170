import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software WebAuthn authenticator for tests: a real ES256 (ECDSA P-256) key pair, real
 * authenticator data, "none" attestation and DER signatures over authData || SHA-256(clientDataJSON),
 * exactly what a browser hands the server. Tweaks produce the responses a real device would never
 * send (wrong origin, wrong RP ID, no user verification, a stale counter, a bad signature...).
 */
export type SoftAuthenticatorKind = 'this_device' | 'synced' | 'security_key';

export type CeremonyTweaks = {
  /** The origin written into clientDataJSON; defaults to the one the ceremony runs on. */
  origin?: string;
  /** The RP ID hashed into the authenticator data; defaults to the one in the options. */
  rpId?: string;
  /** The challenge written into clientDataJSON; defaults to the one in the options. */
  challenge?: string;
  /** The clientDataJSON type; defaults to webauthn.create / webauthn.get. */
  type?: string;
  /** UV flag; defaults to true (a fingerprint, face or PIN was checked). */
  userVerified?: boolean;
  /** UP flag; defaults to true. */
  userPresent?: boolean;
  /** Sign with this counter instead of the authenticator's own (which then does not move). */
  counter?: number;
  /** Sign something else, so the signature is well-formed but wrong. */
  corruptSignature?: boolean;
  /** The user handle returned on sign-in (base64url); null returns none. Defaults to the registered one. */
  userHandle?: string | null;
  /** Register even if the options exclude this credential (a browser would refuse). */
  ignoreExcludeList?: boolean;
  /** Answer even if the options do not allow this credential (a browser would not offer it). */
  ignoreAllowList?: boolean;
};

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const COSE_ALG_ES256 = -7;

const TRANSPORTS: Record<SoftAuthenticatorKind, string[]> = {
  this_device: ['internal'],
  synced: ['hybrid', 'internal'],
  security_key: ['nfc', 'usb'],
};

export class SoftAuthenticator {
  readonly kind: SoftAuthenticatorKind;
  readonly credentialId: string;
  /** The signature counter; each sign-in adds `counterStep` first. Settable. */
  counter: number;
  /** Synced passkeys report 0 forever; devices and security keys count up. */
  readonly counterStep: number;
  readonly aaguid: Uint8Array;
  /** The COSE-encoded public key, as the server should store it. */
  readonly cosePublicKey: Uint8Array;
  /** The user handle from the registration options (base64url), like a discoverable credential keeps. */
  userHandle: string | undefined;
  private readonly privateKey: KeyObject;

  constructor(options: { kind?: SoftAuthenticatorKind; counter?: number; counterStep?: number; aaguid?: Uint8Array } = {}, keys?: Cloned) {
    this.kind = options.kind ?? 'this_device';
    this.counter = options.counter ?? 0;
    this.counterStep = options.counterStep ?? (this.kind === 'synced' ? 0 : 1);
    this.aaguid = options.aaguid ?? new Uint8Array(randomBytes(16));
    if (keys) {
      this.credentialId = keys.credentialId;
      this.privateKey = keys.privateKey;
      this.cosePublicKey = keys.cosePublicKey;
      this.userHandle = keys.userHandle;
    } else {
      const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      this.privateKey = pair.privateKey;
      this.cosePublicKey = coseKeyOf(pair.publicKey);
      this.credentialId = randomBytes(32).toString('base64url');
    }
  }

  get transports(): string[] {
    return [...TRANSPORTS[this.kind]];
  }

  /** A second authenticator holding the same key and counter: what a cloned key looks like. */
  clone(): SoftAuthenticator {
    return new SoftAuthenticator(
      { kind: this.kind, counter: this.counter, counterStep: this.counterStep, aaguid: this.aaguid },
      { credentialId: this.credentialId, privateKey: this.privateKey, cosePublicKey: this.cosePublicKey, userHandle: this.userHandle },
    );
  }

  /** navigator.credentials.create() followed by toJSON(). */
  register(options: PublicKeyCredentialCreationOptionsJSON, origin: string, tweaks: CeremonyTweaks = {}): RegistrationResponseJSON {
    if (!options.pubKeyCredParams.some((p) => p.alg === COSE_ALG_ES256)) throw new Error('NotSupportedError: ES256 not offered');
    if (!tweaks.ignoreExcludeList && options.excludeCredentials?.some((c) => c.id === this.credentialId)) {
      throw new Error('InvalidStateError: this authenticator is already registered');
    }
    this.userHandle = options.user.id;
    const rpId = tweaks.rpId ?? options.rp.id ?? new URL(origin).hostname;
    const clientDataJSON = clientData(tweaks.type ?? 'webauthn.create', tweaks.challenge ?? options.challenge, tweaks.origin ?? origin);
    const credentialId = Buffer.from(this.credentialId, 'base64url');
    const attested = Buffer.concat([this.aaguid, uint16(credentialId.length), credentialId, this.cosePublicKey]);
    const authData = Buffer.concat([rpIdHash(rpId), Buffer.from([this.flags(tweaks) | FLAG_AT]), uint32(tweaks.counter ?? this.counter), attested]);
    const attestationObject = isoCBOR.encode(
      new Map<string, isoCBORValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      authenticatorAttachment: this.kind === 'security_key' ? 'cross-platform' : 'platform',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        transports: this.transports as RegistrationResponseJSON['response']['transports'],
        publicKeyAlgorithm: COSE_ALG_ES256,
      },
      clientExtensionResults: { credProps: { rk: true } },
    };
  }

  /** navigator.credentials.get() followed by toJSON(). */
  signIn(options: PublicKeyCredentialRequestOptionsJSON, origin: string, tweaks: CeremonyTweaks = {}): AuthenticationResponseJSON {
    const allowed = options.allowCredentials ?? [];
    if (!tweaks.ignoreAllowList && allowed.length > 0 && !allowed.some((c) => c.id === this.credentialId)) {
      throw new Error('NotAllowedError: this credential was not asked for');
    }
    let counter = tweaks.counter;
    if (counter === undefined) {
      this.counter += this.counterStep;
      counter = this.counter;
    }
    const rpId = tweaks.rpId ?? options.rpId ?? new URL(origin).hostname;
    const clientDataJSON = clientData(tweaks.type ?? 'webauthn.get', tweaks.challenge ?? options.challenge, tweaks.origin ?? origin);
    const authData = Buffer.concat([rpIdHash(rpId), Buffer.from([this.flags(tweaks)]), uint32(counter)]);
    const signed = Buffer.concat([authData, sha256(clientDataJSON), tweaks.corruptSignature ? Buffer.from([0]) : Buffer.alloc(0)]);
    const signature = sign('sha256', signed, this.privateKey); // DER-encoded ECDSA, as WebAuthn specifies
    const userHandle = tweaks.userHandle === undefined ? this.userHandle : tweaks.userHandle ?? undefined;
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      authenticatorAttachment: this.kind === 'security_key' ? 'cross-platform' : 'platform',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(userHandle ? { userHandle } : {}),
      },
      clientExtensionResults: {},
    };
  }

  private flags(tweaks: CeremonyTweaks) {
    let flags = 0;
    if (tweaks.userPresent ?? true) flags |= FLAG_UP;
    if (tweaks.userVerified ?? true) flags |= FLAG_UV;
    if (this.kind === 'synced') flags |= FLAG_BE | FLAG_BS;
    return flags;
  }
}

type Cloned = { credentialId: string; privateKey: KeyObject; cosePublicKey: Uint8Array; userHandle: string | undefined };
type isoCBORValue = Parameters<typeof isoCBOR.encode>[0];

/** RFC 9053 §7.1.1: an EC2 key for ES256 on P-256, with raw x and y coordinates. */
function coseKeyOf(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  const y = new Uint8Array(Buffer.from(jwk.y!, 'base64url'));
  return new Uint8Array(
    isoCBOR.encode(
      new Map<number, isoCBORValue>([
        [1, 2], // kty: EC2
        [3, COSE_ALG_ES256], // alg
        [-1, 1], // crv: P-256
        [-2, x],
        [-3, y],
      ]),
    ),
  );
}

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

function rpIdHash(rpId: string) {
  return sha256(Buffer.from(rpId, 'utf8'));
}

function sha256(data: Buffer) {
  return createHash('sha256').update(data).digest();
}

function uint16(value: number) {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

function uint32(value: number) {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
