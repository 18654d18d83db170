import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { open, seal } from '@/lib/crypto';

/**
 * Envelope encryption for identity documents (docs/security.md rule 19: "AES-256-GCM, per-file key
 * wrapped by a master key"). Each file gets its own random 256-bit data key; the file is encrypted
 * with it, and the data key is sealed with the master key. Deleting the wrapped key is enough to
 * make a file unreadable everywhere, including in backups of the ciphertext.
 *
 * Both layers bind the row they belong to as associated data (document id, ticket id, and for the
 * file its kind and type), so a wrapped key or a ciphertext copied onto another row, or a row whose
 * kind or type was edited, fails to decrypt instead of showing the wrong person's document.
 */
export type DocumentBinding = { documentId: string; ticketId: string; kind: string; mimeType: string };

export type SealedDocument = {
  ciphertext: Uint8Array<ArrayBuffer>;
  /** 12 bytes, the GCM standard nonce size (NIST SP 800-38D §8.2). */
  iv: Uint8Array<ArrayBuffer>;
  /** 16 bytes: the full-length GCM tag. */
  authTag: Uint8Array<ArrayBuffer>;
  /** The data key sealed by lib/crypto (its own IV and tag inside). */
  wrappedKey: Uint8Array<ArrayBuffer>;
};

/** Raised when a stored document fails authentication or its digest: tampered, or keyed wrongly. */
export class DocumentUnreadableError extends Error {
  constructor(
    readonly documentId: string,
    readonly problem: 'missing_ciphertext' | 'key_unwrap_failed' | 'decryption_failed' | 'digest_mismatch',
    options?: { cause?: unknown },
  ) {
    // Internal only: describeError turns this into a generic 500, and the message names no secret.
    super(`Document ${documentId} cannot be opened: ${problem}`, options);
    this.name = 'DocumentUnreadableError';
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function sealDocument(masterKey: Buffer, plaintext: Buffer, binding: DocumentBinding): SealedDocument {
  const dataKey = randomBytes(32);
  try {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(fileContext(binding), 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      ciphertext: new Uint8Array(ciphertext),
      iv: new Uint8Array(iv),
      authTag: new Uint8Array(cipher.getAuthTag()),
      wrappedKey: seal(masterKey, dataKey, keyContext(binding)),
    };
  } finally {
    dataKey.fill(0);
  }
}

export function openDocument(
  masterKey: Buffer,
  sealed: { ciphertext: Uint8Array; iv: Uint8Array; authTag: Uint8Array; wrappedKey: Uint8Array },
  binding: DocumentBinding,
): Buffer {
  let dataKey: Buffer;
  try {
    dataKey = open(masterKey, sealed.wrappedKey, keyContext(binding));
  } catch (cause) {
    throw new DocumentUnreadableError(binding.documentId, 'key_unwrap_failed', { cause });
  }
  try {
    if (dataKey.length !== 32 || sealed.iv.length !== IV_BYTES || sealed.authTag.length !== TAG_BYTES) {
      throw new Error('Unexpected key, IV or tag length');
    }
    const decipher = createDecipheriv('aes-256-gcm', dataKey, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(fileContext(binding), 'utf8'));
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch (cause) {
    throw new DocumentUnreadableError(binding.documentId, 'decryption_failed', { cause });
  } finally {
    dataKey.fill(0);
  }
}

// Versioned so a future change of scheme can tell old rows apart.
function keyContext(binding: DocumentBinding) {
  return `regain/ticket-document/v1/key|${binding.documentId}|${binding.ticketId}`;
}

function fileContext(binding: DocumentBinding) {
  return `regain/ticket-document/v1/file|${binding.documentId}|${binding.ticketId}|${binding.kind}|${binding.mimeType}`;
}
