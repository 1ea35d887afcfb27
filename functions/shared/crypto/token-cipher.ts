import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v2';
/** Sealed before key ids: `v1.<iv>.<ct>.<tag>`, read by trying every key. */
const LEGACY_VERSION = 'v1';
const IV_BYTES = 12;
/** GCM's full tag. Without authTagLength, Node would accept a truncated tag, weakening authentication. */
const TAG_BYTES = 16;

export type CipherKey = Readonly<{ keyId: string; key: Buffer }>;

/**
 * AES-256-GCM for tokens at rest: `v2.<keyId>.<iv>.<ciphertext>.<tag>`. The associated data binds a
 * ciphertext to where it is stored (the item key and field), so a ciphertext copied to another item or
 * field does not decrypt. New values are sealed with the current key; values sealed with a staged or
 * retired key (named by their key id), and legacy `v1` values, still open.
 */
export class TokenCipher {
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(
    private readonly current: CipherKey,
    others: readonly CipherKey[] = [],
  ) {
    for (const { key } of [current, ...others])
      if (key.length !== 32) throw new Error('TokenCipher needs 256-bit keys');
    this.byId = new Map([current, ...others].map(({ keyId, key }) => [keyId, key]));
  }

  /** The key id new values are sealed with. */
  get currentKeyId(): string {
    return this.current.keyId;
  }

  encrypt(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.current.keyId,
      ...[iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url')),
    ].join('.');
  }

  /** Throws when the value was tampered with, moved, or sealed under a key this cipher does not hold. */
  decrypt(sealed: string, associatedData: string): string {
    const parts = sealed.split('.');
    if (parts[0] === VERSION && parts.length === 5) {
      const [, keyId = '', iv = '', ciphertext = '', tag = ''] = parts;
      const key = this.byId.get(keyId);
      if (!key) throw new Error('Ciphertext sealed with an unknown key id');
      return open(key, iv, ciphertext, tag, associatedData);
    }
    if (parts[0] === LEGACY_VERSION && parts.length === 4) {
      const [, iv = '', ciphertext = '', tag = ''] = parts;
      for (const key of this.byId.values()) {
        try {
          return open(key, iv, ciphertext, tag, associatedData);
        } catch {
          // not this key: try the next one
        }
      }
      throw new Error('Ciphertext opens with none of the keys');
    }
    throw new Error('Unrecognised ciphertext');
  }
}

/** The key id a sealed value names (undefined for legacy v1 values and anything unrecognised). */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts[0] === VERSION && parts.length === 5 ? parts[1] : undefined;
}

function open(key: Buffer, iv: string, ciphertext: string, tag: string, associatedData: string): string {
  const ivBytes = Buffer.from(iv, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('Malformed ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(tagBytes);
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
}
