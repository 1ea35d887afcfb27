import { ServiceUnavailableError } from '../../functions/shared/errors.js';
import { AccountStore } from '../../functions/shared/store/account-store.js';
import { keys } from '../../functions/shared/store/keys.js';
import {
  ServiceAccessStore,
  type ServiceAccessPolicy,
} from '../../functions/shared/store/service-access-store.js';
import { createTestTable } from '../support/dynamodb.js';

/**
 * ServiceAccessStore's writes against DynamoDB Local: the per-account cap counted on the account item
 * (also under concurrent creations), writes conditioned on the version read, and nothing written for
 * an account that is gone.
 */
const fixture = await createTestTable();
const { table } = fixture;
const accounts = new AccountStore(table);
const store = new ServiceAccessStore(table);
afterAll(() => fixture?.close());

const owner = { id: 1, login: 'owner' };
let next = 0;

function policy(accountId: string, overrides: Partial<ServiceAccessPolicy> = {}): ServiceAccessPolicy {
  next += 1;
  const now = new Date().toISOString();
  return {
    id: next.toString(16).padStart(20, '0'),
    accountId,
    principal: 'arn:aws:iam::123456789012:role/builder',
    repositories: ['octo-org/api'],
    permissions: { contents: 'read' },
    maxLifetimeMinutes: null,
    createdBy: owner.id,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

const counted = async (accountId: string) =>
  Number((await table.get(keys.account(accountId)))?.serviceAccessCount ?? 0);

describe('ServiceAccessStore', () => {
  it('caps the policies of an account, counting them on the account item; a deletion frees a place', async () => {
    const account = await accounts.create('Capped', owner);
    for (let n = 0; n < 3; n++) expect(await store.create(policy(account.id), 3)).toEqual({ created: true });
    const refused = policy(account.id);
    expect(await store.create(refused, 3)).toEqual({ created: false, refusal: 'limit_reached' });
    expect(await store.get(account.id, refused.id)).toBeUndefined();
    expect(await counted(account.id)).toBe(3);
    const [first] = await store.list(account.id);
    expect(await store.delete(account.id, first?.id ?? '', 1)).toBe(true);
    expect(await counted(account.id)).toBe(2);
    expect(await store.create(policy(account.id), 3)).toEqual({ created: true });
    expect(await store.list(account.id)).toHaveLength(3);
  });

  it('concurrent creations never pass the cap: the count is the number of policies', async () => {
    const account = await accounts.create('Crowded', owner);
    for (let n = 0; n < 8; n++) await store.create(policy(account.id), 10);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        store.create(policy(account.id), 10).then(
          (result) => (result.created ? 'created' : result.refusal),
          (error: unknown) => {
            // Transactions on one account item may conflict: a 503, nothing written.
            if (error instanceof ServiceUnavailableError) return 'busy';
            throw error;
          },
        ),
      ),
    );
    const created = outcomes.filter((outcome) => outcome === 'created').length;
    expect(created).toBeLessThanOrEqual(2);
    expect(outcomes.filter((outcome) => !['created', 'limit_reached', 'busy'].includes(outcome))).toEqual([]);
    const stored = await store.list(account.id);
    expect(stored).toHaveLength(8 + created);
    expect(await counted(account.id)).toBe(stored.length);
  });

  it('a change or deletion over a version no longer stored writes nothing', async () => {
    const account = await accounts.create('Versioned', owner);
    const original = policy(account.id);
    await store.create(original, 50);
    expect(await store.replace({ ...original, maxLifetimeMinutes: 10 }, 1)).toBe(true);
    expect(await store.get(account.id, original.id)).toMatchObject({
      version: 2,
      policy: { maxLifetimeMinutes: 10 },
    });
    // Stale: written over version 1, now 2.
    expect(await store.replace({ ...original, maxLifetimeMinutes: 20 }, 1)).toBe(false);
    expect(await store.delete(account.id, original.id, 1)).toBe(false);
    expect(await store.get(account.id, original.id)).toMatchObject({
      version: 2,
      policy: { maxLifetimeMinutes: 10 },
    });
    expect(await counted(account.id)).toBe(1);
    // Gone: neither replaced (which would bring it back) nor deleted twice.
    expect(await store.delete(account.id, original.id, 2)).toBe(true);
    expect(await store.replace({ ...original, maxLifetimeMinutes: 30 }, 2)).toBe(false);
    expect(await store.delete(account.id, original.id, 2)).toBe(false);
    expect(await store.get(account.id, original.id)).toBeUndefined();
    expect(await counted(account.id)).toBe(0);
  });

  it('an account that is gone gets no policy, and is not written back by a deletion', async () => {
    expect(await store.create(policy('no-such-account'), 50)).toEqual({
      created: false,
      refusal: 'account_gone',
    });
    expect(await table.get(keys.account('no-such-account'))).toBeUndefined();
    expect(await store.list('no-such-account')).toEqual([]);

    const account = await accounts.create('Deleted', owner);
    const kept = policy(account.id);
    await store.create(kept, 50);
    // The account item goes first (as AccountStore.delete does); a policy deletion then fails.
    await table.delete(keys.account(account.id));
    expect(await store.delete(account.id, kept.id, 1)).toBe(false);
    expect(await table.get(keys.account(account.id))).toBeUndefined();
    await accounts.delete(account.id);
    expect(await store.list(account.id)).toEqual([]);
  });
});
