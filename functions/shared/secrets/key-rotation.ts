import { randomBytes } from 'node:crypto';
import { toKeyring } from './service-keys.js';
import { parseSecret, serviceKeysSecretSchema, type ServiceKeysSecret } from './types.js';

/**
 * Rotating the service-keys secret (`npm run rotate-keys`, scripts/rotate-keys.ts). Pure: the caller
 * reads and writes the secret. Key material never leaves this module in a summary.
 */

export type RotationOptions = {
  /** `rotate` (default): a new current key, the old one retired. `stage`: a `next` key every reader
   * learns before it is used (promote it later with `rotate`). `prune`: only drop keys. */
  action?: 'rotate' | 'stage' | 'prune';
  /** Retired or staged key ids to forget: what they sealed becomes unreadable. */
  drop?: readonly string[];
  /** Forget retired keys retired before this date. */
  pruneRetiredBefore?: Date;
  now?: Date;
};

export type RotationSummary = {
  current: string;
  next: string | undefined;
  retired: string[];
  dropped: string[];
};

/** A fresh key: an id that sorts by date and 48 random bytes. */
export function newServiceKey(now = new Date()): { keyId: string; keyMaterial: string; createdAt: string } {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return {
    keyId: `k${day}-${randomBytes(4).toString('hex')}`,
    keyMaterial: randomBytes(48).toString('base64url'),
    createdAt: now.toISOString(),
  };
}

export class RotationError extends Error {}

/** The rotated secret (in the keyring shape, whatever shape it had) and what changed. */
export function rotateServiceKeys(
  value: unknown,
  options: RotationOptions = {},
): { secret: ServiceKeysSecret; summary: RotationSummary } {
  const now = options.now ?? new Date();
  const keyring = toKeyring(parseSecret(serviceKeysSecretSchema(), value, 'service keys'));
  let { current, next } = keyring;
  let retired = [...(keyring.retired ?? [])];
  const action = options.action ?? 'rotate';

  if (action === 'stage') {
    if (next) throw new RotationError(`Key ${next.keyId} is already staged: rotate to promote it first.`);
    next = newServiceKey(now);
  } else if (action === 'rotate') {
    // Newest first: readers try retired keys in this order.
    retired = [
      { keyId: current.keyId, keyMaterial: current.keyMaterial, retiredAt: now.toISOString() },
      ...retired,
    ];
    current = next ?? newServiceKey(now);
    next = undefined;
  }

  const dropped: string[] = [];
  for (const keyId of options.drop ?? []) {
    if (keyId === current.keyId)
      throw new RotationError(`Key ${keyId} is the current key: it cannot be dropped.`);
    if (next?.keyId === keyId) next = undefined;
    else if (retired.some((key) => key.keyId === keyId))
      retired = retired.filter((key) => key.keyId !== keyId);
    else throw new RotationError(`No key ${keyId} in the secret.`);
    dropped.push(keyId);
  }
  const before = options.pruneRetiredBefore;
  if (before) {
    for (const key of retired)
      if (key.retiredAt !== undefined && Date.parse(key.retiredAt) < before.getTime())
        dropped.push(key.keyId);
    retired = retired.filter((key) => !dropped.includes(key.keyId));
  }

  const secret = parseSecret(
    serviceKeysSecretSchema(),
    { current, ...(next ? { next } : {}), retired },
    'rotated service keys',
  );
  return {
    secret: toKeyring(secret),
    summary: { current: current.keyId, next: next?.keyId, retired: retired.map((key) => key.keyId), dropped },
  };
}
