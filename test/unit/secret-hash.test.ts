import { randomBytes } from 'node:crypto';
import { SecretHasher } from '../../functions/shared/auth/secret-hash.js';

describe('SecretHasher', () => {
  const key = (keyId: string, legacy = false) => ({ keyId, key: randomBytes(32), legacy });
  const legacy = key('legacy-0123456789ab', true);
  const before = new SecretHasher(legacy);
  const after = new SecretHasher(key('k2'), [key('k1'), legacy]);

  it('stores a hash naming the current key, and finds it first', () => {
    expect(after.hash('id')).toMatch(/^k2\.[\w-]{43}$/);
    expect(after.candidates('id')[0]).toBe(after.hash('id'));
    expect(after.hash('id')).not.toBe(after.hash('other'));
  });

  it('lists the hashes under staged and retired keys, and bare ones for a legacy key', () => {
    const candidates = after.candidates('id');
    expect(candidates).toHaveLength(4);
    expect(candidates.map((c) => c.split('.')[0])).toEqual([
      'k2',
      'k1',
      'legacy-0123456789ab',
      candidates[3],
    ]);
    // A hash stored before the rotation, named or from before key ids, is among them.
    expect(candidates).toContain(before.hash('id'));
    expect(candidates).toContain(before.hash('id').split('.')[1]);
  });
});
