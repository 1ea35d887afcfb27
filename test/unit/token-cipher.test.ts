import { randomBytes } from 'node:crypto';
import { TokenCipher } from '../../functions/shared/crypto/token-cipher.js';

describe('TokenCipher', () => {
  const cipher = new TokenCipher(randomBytes(32));
  const token = 'ghu_' + 'A'.repeat(36);

  it('round-trips and never stores the plaintext', () => {
    const sealed = cipher.encrypt(token, 'USER#1|TOKEN#access');
    expect(sealed).not.toContain(token);
    expect(sealed).toMatch(/^v1\./);
    expect(cipher.decrypt(sealed, 'USER#1|TOKEN#access')).toBe(token);
  });

  it('uses a fresh IV each time', () => {
    expect(cipher.encrypt(token, 'a')).not.toBe(cipher.encrypt(token, 'a'));
  });

  it('refuses a ciphertext moved to another item or field', () => {
    const sealed = cipher.encrypt(token, 'USER#1|TOKEN#access');
    expect(() => cipher.decrypt(sealed, 'USER#2|TOKEN#access')).toThrow();
    expect(() => cipher.decrypt(sealed, 'USER#1|TOKEN#refresh')).toThrow();
  });

  it('refuses a tampered ciphertext or another key', () => {
    const sealed = cipher.encrypt(token, 'k');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[2] = body.toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'), 'k')).toThrow();
    expect(() => new TokenCipher(randomBytes(32)).decrypt(sealed, 'k')).toThrow();
  });
});
