/**
 * Abuse limits against DynamoDB Local with a clock the test moves: the fixed window's reset, exact
 * counts under concurrency, refusals that change nothing, and the pending-invitations cap kept true
 * as invitations are written, answered, revoked and expire.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { TooManyRequestsError } from '../../functions/shared/errors.js';
import { AbuseLimits } from '../../functions/shared/limits/abuse-limits.js';
import { AccountStore } from '../../functions/shared/store/account-store.js';
import {
  InvitationStore,
  PendingInvitationsFullError,
} from '../../functions/shared/store/invitation-store.js';
import { keys } from '../../functions/shared/store/keys.js';
import { RateLimitStore } from '../../functions/shared/store/rate-limit-store.js';
import { createTestTable } from '../support/dynamodb.js';

const fixture = await createTestTable();
const { table } = fixture;
afterAll(() => fixture.close());

const MINUTE = { name: 'test-minute', max: 3, windowSeconds: 60 };
// A window start in the past, far from now: what the clock says is all that counts.
const WINDOW_START_MS = 1_700_000_040_000;

/** The window item as stored (read raw: by the real clock it has long expired). */
async function windowItem(name: string, user: number, windowStartMs = WINDOW_START_MS) {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: keys.rateWindow(name, user, Math.floor(windowStartMs / 1000 / 60) * 60),
    }),
  );
  return Item;
}
const used = async (name: string, user: number) => Number((await windowItem(name, user))?.hits ?? 0);

describe('fixed-window counters (RateLimitStore)', () => {
  it('refuses past the limit until the window ends, with Retry-After to its end; the next window starts empty', async () => {
    let nowMs = WINDOW_START_MS + 10_000;
    const store = new RateLimitStore(table, () => nowMs);
    const user = 101;
    for (let i = 0; i < 3; i++) expect((await store.take(MINUTE, user)).allowed).toBe(true);
    expect(await store.take(MINUTE, user)).toEqual({ allowed: false, retryAfterSeconds: 50 });
    // Refusals write nothing: the window still holds exactly the three.
    expect(await used(MINUTE.name, user)).toBe(3);

    nowMs = WINDOW_START_MS + 59_500;
    expect(await store.take(MINUTE, user)).toEqual({ allowed: false, retryAfterSeconds: 1 });

    nowMs = WINDOW_START_MS + 60_000; // the next window
    for (let i = 0; i < 3; i++) expect((await store.take(MINUTE, user)).allowed).toBe(true);
    expect((await store.take(MINUTE, user)).allowed).toBe(false);
    // Another user has a window of their own.
    expect((await store.take(MINUTE, 102)).allowed).toBe(true);
  });

  it('the window item expires with its window (TTL)', async () => {
    const nowMs = WINDOW_START_MS + 5_000;
    await new RateLimitStore(table, () => nowMs).take(MINUTE, 103);
    expect(await windowItem(MINUTE.name, 103)).toMatchObject({
      hits: 1,
      expiresAt: WINDOW_START_MS / 1000 + 60,
    });
  });

  it('lets exactly the limit through when many take at once', async () => {
    const store = new RateLimitStore(table, () => WINDOW_START_MS + 1_000);
    const limit = { name: 'test-burst', max: 10, windowSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 25 }, () => store.take(limit, 104)));
    expect(results.filter((result) => result.allowed)).toHaveLength(10);
    expect(await used(limit.name, 104)).toBe(10);
  });

  it('gives a slot back to its own window, never below zero', async () => {
    const store = new RateLimitStore(table, () => WINDOW_START_MS + 2_000);
    const taken = await store.take(MINUTE, 105);
    if (!taken.allowed) throw new Error('expected a slot');
    await store.giveBack(taken.slot);
    await store.giveBack(taken.slot);
    expect(await used(MINUTE.name, 105)).toBe(0);
    for (let i = 0; i < 3; i++) expect((await store.take(MINUTE, 105)).allowed).toBe(true);
    expect((await store.take(MINUTE, 105)).allowed).toBe(false);
  });
});

describe('AbuseLimits', () => {
  const settings = {
    pendingInvitationsPerAccount: 50,
    invitationsPerUserPerHour: 2,
    accountsPerUserPerHour: 2,
    signInsPerUserPerMinute: 2,
    serviceTokensPerPrincipalPerMinute: 2,
  };

  it('counts only what happened: a failed action gives its slot back; over the limit is a 429 with Retry-After', async () => {
    const limits = new AbuseLimits(new RateLimitStore(table, () => WINDOW_START_MS + 600_000), settings);
    await expect(
      limits.within('accountsPerHour', 201, () => Promise.reject(new Error('write failed'))),
    ).rejects.toThrow('write failed');
    await limits.within('accountsPerHour', 201, () => Promise.resolve());
    await limits.within('accountsPerHour', 201, () => Promise.resolve());
    let ran = false;
    const refused = await limits
      .within('accountsPerHour', 201, () => {
        ran = true;
        return Promise.resolve();
      })
      .catch((error: unknown) => error);
    expect(ran).toBe(false);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect(refused).toMatchObject({
      statusCode: 429,
      code: 'too_many_requests',
      // Seconds from the clock's now to the end of its (epoch-aligned) hour.
      headers: { 'Retry-After': String(3600 - ((WINDOW_START_MS / 1000 + 600) % 3600)) },
    });
  });
});

describe('pending invitations per account (InvitationStore maxPending)', () => {
  let nowMs = Date.now();
  const accounts = new AccountStore(table);
  const invitations = new InvitationStore(table, { now: () => nowMs });
  const owner = { id: 1, login: 'owner' };
  const user = (id: number) => ({ id, login: `user-${id}` });
  const invite = (account: { id: string; name: string }, id: number, maxPending = 5) =>
    invitations.invite({ account, invitee: user(id), role: 'member', invitedBy: owner, maxPending });
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => 'invited',
      (error: unknown) => {
        if (error instanceof PendingInvitationsFullError) return 'full';
        throw error;
      },
    );

  it('lets exactly the cap through when many invite at once, and writes nothing for the others', async () => {
    const account = await accounts.create('Burst', owner);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => outcome(invite(account, 1000 + i))),
    );
    expect(results.filter((result) => result === 'invited')).toHaveLength(5);
    expect(await invitations.listForAccount(account.id)).toHaveLength(5);
  });

  it('stays true as invitations are accepted, declined, revoked and expire; renewing at the cap is allowed', async () => {
    const account = await accounts.create('Cap', owner);
    for (let id = 2000; id < 2005; id++) await invite(account, id);
    expect(await outcome(invite(account, 2005))).toBe('full');
    // Renewing a pending one adds nothing: allowed at the cap.
    expect((await invite(account, 2000)).renewed).toBe(true);

    await invitations.accept(account.id, user(2000));
    expect(await outcome(invite(account, 2005))).toBe('invited');
    expect(await outcome(invite(account, 2006))).toBe('full');

    await invitations.delete(account.id, 2001); // declined or revoked: the same write
    expect(await outcome(invite(account, 2006))).toBe('invited');
    expect(await outcome(invite(account, 2007))).toBe('full');

    // Seven days later every one of them has expired: the account may invite five again.
    nowMs += 7 * 86_400_000 + 1000;
    for (let id = 2010; id < 2015; id++) expect(await outcome(invite(account, id))).toBe('invited');
    expect(await outcome(invite(account, 2015))).toBe('full');
  });

  it('says how long until a place frees by itself: the soonest expiry', async () => {
    const account = await accounts.create('Soonest', owner);
    await invite(account, 3000, 1);
    nowMs += 3600_000;
    const full = await invite(account, 3001, 1).catch((error: unknown) => error);
    expect(full).toBeInstanceOf(PendingInvitationsFullError);
    expect((full as PendingInvitationsFullError).retryAfterSeconds).toBe(7 * 86_400 - 3600);
  });
});
