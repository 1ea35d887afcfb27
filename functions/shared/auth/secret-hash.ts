import { createHmac } from 'node:crypto';

/**
 * Session ids and OAuth states reach the table only as an HMAC under the service's session key, so a
 * leaked table (or backup) holds nothing that can be replayed.
 */
export function hashSecret(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}
