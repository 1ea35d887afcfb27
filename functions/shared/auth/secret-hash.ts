import { createHmac } from 'node:crypto';

export type HashKey = Readonly<{
  keyId: string;
  key: Buffer;
  /** A key from before key ids: its hashes were stored bare, naming no key. */
  legacy: boolean;
}>;

const hmac = (key: Buffer, value: string) => createHmac('sha256', key).update(value).digest('base64url');

/**
 * Session ids and OAuth states reach the table only as an HMAC under the service's session key, so a
 * leaked table (or backup) holds nothing that can be replayed. A stored hash names its key
 * (`<keyId>.<hmac>`) so that hashes made before a key rotation can still be found.
 */
export class SecretHasher {
  constructor(
    private readonly current: HashKey,
    private readonly others: readonly HashKey[] = [],
  ) {}

  get currentKeyId(): string {
    return this.current.keyId;
  }

  /** The hash to store: under the current key, naming it. */
  hash(value: string): string {
    return `${this.current.keyId}.${hmac(this.current.key, value)}`;
  }

  /**
   * Every hash the value may have been stored under, most likely first: the current key, then the
   * staged and retired ones, each also bare for a legacy key.
   */
  candidates(value: string): string[] {
    return [this.current, ...this.others].flatMap((key) => {
      const digest = hmac(key.key, value);
      return key.legacy ? [`${key.keyId}.${digest}`, digest] : [`${key.keyId}.${digest}`];
    });
  }
}

/** The keyed hash to store for `value`, under the current key. */
export function hashSecret(keys: SecretHasher, value: string): string {
  return keys.hash(value);
}
