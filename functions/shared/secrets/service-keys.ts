import { hkdfSync } from 'node:crypto';
import type { ServiceKeys } from './types.js';

const SALT = 'github-app-accounts/service-keys/v1';

/** HKDF-SHA256 gives each purpose an independent 256-bit key from the one stored secret. */
export function deriveServiceKeys(keyMaterial: string): ServiceKeys {
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', keyMaterial, SALT, purpose, 32));
  return Object.freeze({
    tokenEncryptionKey: derive('token-encryption'),
    sessionKey: derive('session-hmac'),
  });
}
