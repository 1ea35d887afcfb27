import { hkdfSync } from 'node:crypto';
import {
  keyringServiceKeysSchema,
  type LegacyServiceKeysSecret,
  type ServiceKey,
  type ServiceKeys,
  type ServiceKeysSecret,
} from './types.js';

const SALT = 'github-app-accounts/service-keys/v1';

const derive = (keyMaterial: string, purpose: string, bytes = 32) =>
  Buffer.from(hkdfSync('sha256', keyMaterial, SALT, purpose, bytes));

/**
 * The key id of a secret that has none (`{ keyMaterial }`): derived from the material, so every
 * container agrees on it and it survives the first rotation unchanged.
 */
export function legacyKeyId(keyMaterial: string): string {
  return `legacy-${derive(keyMaterial, 'key-id', 6).toString('hex')}`;
}

/** HKDF-SHA256 gives each purpose an independent 256-bit key from one key material. */
export function deriveServiceKey(keyId: string, keyMaterial: string): ServiceKey {
  return Object.freeze({
    keyId,
    tokenEncryptionKey: derive(keyMaterial, 'token-encryption'),
    sessionKey: derive(keyMaterial, 'session-hmac'),
    legacy: keyId === legacyKeyId(keyMaterial),
  });
}

/** A secret in either shape, as the keyring shape (the legacy key becomes `current` under its derived id). */
export function toKeyring(secret: ServiceKeysSecret | LegacyServiceKeysSecret): ServiceKeysSecret {
  if ('current' in secret) return secret;
  return keyringServiceKeysSchema().parse({
    current: { keyId: legacyKeyId(secret.keyMaterial), keyMaterial: secret.keyMaterial },
    retired: [],
  });
}

/** Every key of the secret: current writes, next and retired only read. */
export function deriveServiceKeys(secret: ServiceKeysSecret | LegacyServiceKeysSecret): ServiceKeys {
  const keyring = toKeyring(secret);
  const others = [keyring.next, ...(keyring.retired ?? [])].flatMap((key) =>
    key ? [deriveServiceKey(key.keyId, key.keyMaterial)] : [],
  );
  return Object.freeze({
    current: deriveServiceKey(keyring.current.keyId, keyring.current.keyMaterial),
    others: Object.freeze(others),
  });
}
