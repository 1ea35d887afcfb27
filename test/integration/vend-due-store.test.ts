import { randomBytes } from 'node:crypto';
import { TokenCipher } from '../../functions/shared/crypto/token-cipher.js';
import { keys } from '../../functions/shared/store/keys.js';
import { VendDueStore } from '../../functions/shared/store/vend-due-store.js';
import { createTestTable } from '../support/dynamodb.js';

/**
 * The revocation due items of dedicated vended tokens against DynamoDB Local: a sweep's read is
 * bounded (a page, oldest first), never returns what is not yet due, and the token is stored sealed,
 * bound to its item.
 */
const fixture = await createTestTable();
const { table } = fixture;
const cipher = new TokenCipher({ keyId: 'k1', key: randomBytes(32) });
const store = new VendDueStore(table, () => Promise.resolve(cipher));
afterAll(() => fixture?.close());

const base = Date.parse('2031-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
const sha = (n: number) => n.toString(16).padStart(64, '0');
const token = (n: number) => `ghs_${String(n).padStart(36, '0')}`;

it('reads at most a page of due items, oldest first, none not yet due; the token sealed and bound to its item', async () => {
  // Added out of order: 6 due (minutes 0..5), 2 not yet (minutes 20, 30).
  for (const n of [3, 0, 20, 5, 1, 30, 4, 2])
    await store.add({ dueAt: at(n), tokenSha256: sha(n), installationId: 7, token: token(n) });

  const page = await store.due(base + 10 * 60_000, 4);
  expect(page.map((item) => item.dueAt)).toEqual([at(0), at(1), at(2), at(3)]);
  expect(page[0]).toEqual({ dueAt: at(0), tokenSha256: sha(0), installationId: 7, token: token(0) });

  const all = await store.due(base + 10 * 60_000, 25);
  expect(all.map((item) => item.tokenSha256)).toEqual([0, 1, 2, 3, 4, 5].map(sha));

  const raw = await table.get(keys.vendDue(at(0), sha(0)));
  if (!raw) throw new Error('no due item');
  expect(JSON.stringify(raw)).not.toContain(token(0));
  expect(raw.expiresAt).toBe(Math.floor(base / 1000) + 24 * 3600);

  // A sealed value copied under another item's key does not open there: no token, only to be dropped.
  await table.put({ ...raw, ...keys.vendDue(at(-1), sha(99)), dueAt: at(-1), tokenSha256: sha(99) });
  const [copied] = await store.due(base, 1);
  expect(copied).toEqual({ dueAt: at(-1), tokenSha256: sha(99), installationId: 7 });

  for (const n of [0, 1, 2, 3, 4, 5]) await store.remove(at(n), sha(n));
  await store.remove(at(-1), sha(99));
  expect(await store.due(base + 10 * 60_000, 25)).toEqual([]);
  expect((await store.due(base + 60 * 60_000, 25)).map((item) => item.tokenSha256)).toEqual([
    sha(20),
    sha(30),
  ]);
});
