import { createCipheriv, randomBytes } from 'node:crypto';
import { sealedKeyId, TokenCipher } from '../../functions/shared/crypto/token-cipher.js';

const key = (keyId: string) => ({ keyId, key: randomBytes(32) });

/** A value as the service sealed it before key ids: `v1.<iv>.<ct>.<tag>`. */
function sealV1(secret: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, ciphertext, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Flips one bit of a base64url part. */
function flip(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('TokenCipher', () => {
  const current = key('k2');
  const retired = key('k1');
  const cipher = new TokenCipher(current, [retired]);
  const token = 'ghu_' + 'A'.repeat(36);

  it('round-trips, names the current key id and never stores the plaintext', () => {
    const sealed = cipher.encrypt(token, 'USER#1|TOKEN#access');
    expect(sealed).not.toContain(token);
    expect(sealed).toMatch(/^v2\.k2\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealedKeyId(sealed)).toBe('k2');
    expect(cipher.decrypt(sealed, 'USER#1|TOKEN#access')).toBe(token);
  });

  it('uses a fresh IV each time', () => {
    expect(cipher.encrypt(token, 'a')).not.toBe(cipher.encrypt(token, 'a'));
  });

  it('opens what a retired key sealed, and seals anew with the current key', () => {
    const old = new TokenCipher(retired).encrypt(token, 'k');
    expect(sealedKeyId(old)).toBe('k1');
    expect(cipher.decrypt(old, 'k')).toBe(token);
    expect(sealedKeyId(cipher.encrypt(cipher.decrypt(old, 'k'), 'k'))).toBe('k2');
  });

  it('opens legacy v1 values (no key id) with whichever key sealed them', () => {
    expect(cipher.decrypt(sealV1(retired.key, token, 'k'), 'k')).toBe(token);
    expect(cipher.decrypt(sealV1(current.key, token, 'k'), 'k')).toBe(token);
    expect(() => cipher.decrypt(sealV1(randomBytes(32), token, 'k'), 'k')).toThrow(/none of the keys/);
    expect(() => cipher.decrypt(flip(sealV1(retired.key, token, 'k'), 2), 'k')).toThrow();
  });

  it('refuses a value sealed with a key id it does not hold, even if the key matches', () => {
    const sealed = cipher.encrypt(token, 'k');
    expect(() => new TokenCipher(key('k3')).decrypt(sealed, 'k')).toThrow(/unknown key id/);
    expect(() => cipher.decrypt(sealed.replace('v2.k2.', 'v2.k1.'), 'k')).toThrow();
    expect(() => new TokenCipher({ keyId: 'other', key: current.key }).decrypt(sealed, 'k')).toThrow(
      /unknown key id/,
    );
  });

  it('refuses a ciphertext moved to another item or field', () => {
    const sealed = cipher.encrypt(token, 'USER#1|TOKEN#access');
    expect(() => cipher.decrypt(sealed, 'USER#2|TOKEN#access')).toThrow();
    expect(() => cipher.decrypt(sealed, 'USER#1|TOKEN#refresh')).toThrow();
  });

  it('refuses a tampered ciphertext, IV or tag', () => {
    const sealed = cipher.encrypt(token, 'k');
    for (const index of [2, 3, 4]) expect(() => cipher.decrypt(flip(sealed, index), 'k')).toThrow();
    expect(() => cipher.decrypt(`${sealed}.x`, 'k')).toThrow(/Unrecognised/);
    expect(() => cipher.decrypt('v3.k2.a.b.c', 'k')).toThrow(/Unrecognised/);
  });

  it('refuses a truncated authentication tag (authTagLength is 16 bytes)', () => {
    const sealed = cipher.encrypt(token, 'k');
    const parts = sealed.split('.');
    const tag = Buffer.from(parts[4] ?? '', 'base64url');
    for (const length of [4, 8, 12, 15]) {
      parts[4] = tag.subarray(0, length).toString('base64url');
      expect(() => cipher.decrypt(parts.join('.'), 'k')).toThrow();
    }
  });

  it('needs 256-bit keys', () => {
    expect(() => new TokenCipher({ keyId: 'short', key: randomBytes(16) })).toThrow(/256-bit/);
    expect(() => new TokenCipher(current, [{ keyId: 'short', key: randomBytes(16) }])).toThrow(/256-bit/);
  });
});
