import { AccountStore, MemberChangedError } from '../../functions/shared/store/account-store.js';
import {
  INVITATION_LIFETIME_SECONDS,
  InvitationRefusedError,
  InvitationStore,
} from '../../functions/shared/store/invitation-store.js';
import { keys } from '../../functions/shared/store/keys.js';
import { createTestTable } from '../support/dynamodb.js';

// The store's clock moves; the table's stays real, so expiry here is the store's own check
// (DynamoDB's TTL deletes days late and the table's reads would still return the item).
let nowMs = Date.now();
const fixture = await createTestTable();
const { table } = fixture;
const accounts = new AccountStore(table);
const invitations = new InvitationStore(table, { now: () => nowMs });
afterAll(() => fixture?.close());

const owner = { id: 1, login: 'owner' };
const invitee = { id: 2, login: 'invitee' };
const DAY_MS = 86_400_000;

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvitationRefusedError) return error.reason;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('InvitationStore', () => {
  it('an invitation expires after 7 days by the store’s clock: not listed, cannot be accepted', async () => {
    const account = await accounts.create('Expiring', owner);
    const { invitation } = await invitations.invite({ account, invitee, role: 'member', invitedBy: owner });
    expect(invitation.expiresAt).toBe(Math.floor(nowMs / 1000) + INVITATION_LIFETIME_SECONDS);
    nowMs += 7 * DAY_MS - 1000;
    expect(await invitations.listForUser(invitee.id)).toHaveLength(1);
    nowMs += 2000;
    expect(await invitations.listForUser(invitee.id)).toEqual([]);
    expect(await invitations.listForAccount(account.id)).toEqual([]);
    expect(await refusal(invitations.accept(account.id, invitee))).toBe('invitation_not_found');
    expect(await accounts.getMembership(account.id, invitee.id)).toBeUndefined();
    // The item itself is still there (TTL is lazy): the store's own check is what refused it.
    expect(await table.get(keys.invitation(account.id, invitee.id))).toBeDefined();
  });

  it('renewing keeps the id and creation time and starts the 7 days again', async () => {
    const account = await accounts.create('Renewing', owner);
    const first = await invitations.invite({ account, invitee, role: 'member', invitedBy: owner });
    nowMs += 5 * DAY_MS;
    const second = await invitations.invite({ account, invitee, role: 'admin', invitedBy: owner });
    expect(second.renewed).toBe(true);
    expect(second.invitation).toMatchObject({
      id: first.invitation.id,
      createdAt: first.invitation.createdAt,
    });
    expect(second.invitation.expiresAt).toBe(first.invitation.expiresAt + 5 * 86_400);
    nowMs += 6 * DAY_MS; // 11 days after the first invitation, 6 after the renewal
    await expect(invitations.accept(account.id, invitee)).resolves.toEqual({
      accountId: account.id,
      accountName: 'Renewing',
      role: 'admin',
    });
    expect(await accounts.getMembership(account.id, invitee.id)).toMatchObject({ role: 'admin' });
    expect(await table.get(keys.invitation(account.id, invitee.id))).toBeUndefined();
  });

  it('accepting as owner raises the owner count in the same transaction', async () => {
    const account = await accounts.create('Owners', owner);
    await invitations.invite({ account, invitee, role: 'owner', invitedBy: owner });
    await invitations.accept(account.id, invitee);
    expect((await table.get(keys.account(account.id)))?.ownerCount).toBe(2);
  });

  it('refuses to invite a member, or into an account that is gone', async () => {
    const account = await accounts.create('Refusals', owner);
    expect(
      await refusal(invitations.invite({ account, invitee: owner, role: 'member', invitedBy: owner })),
    ).toBe('already_member');
    await accounts.delete(account.id);
    expect(await refusal(invitations.invite({ account, invitee, role: 'member', invitedBy: owner }))).toBe(
      'account_not_found',
    );
    expect(await table.get(keys.invitation(account.id, invitee.id))).toBeUndefined();
  });

  it('parses only well-formed ids', () => {
    expect(InvitationStore.parseId('abc123.42')).toEqual({ accountId: 'abc123', userId: 42 });
    for (const bad of [undefined, '', 'abc', 'abc.', '.42', 'abc.042', 'a.b.42', 'abc.42x']) {
      expect([bad, InvitationStore.parseId(bad)]).toEqual([bad, undefined]);
    }
  });
});

describe('AccountStore owner count', () => {
  it('two owners stepping down at once: exactly one succeeds, one owner and a true count remain', async () => {
    const account = await accounts.create('Two owners', owner);
    await invitations.invite({ account, invitee, role: 'owner', invitedBy: owner });
    await invitations.accept(account.id, invitee);
    const [first, second] = await Promise.all([
      accounts.getMembership(account.id, owner.id),
      accounts.getMembership(account.id, invitee.id),
    ]);
    if (!first || !second) throw new Error('both are members');
    const outcomes = await Promise.allSettled([
      accounts.changeRole(account.id, first, 'member'),
      accounts.removeMember(account.id, second),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const owners = (await accounts.listMembers(account.id)).filter((m) => m.role === 'owner');
    expect(owners).toHaveLength(1);
    expect((await table.get(keys.account(account.id)))?.ownerCount).toBe(1);
  });

  it('a role change on a stale read writes nothing (MemberChangedError)', async () => {
    const account = await accounts.create('Stale', owner);
    await invitations.invite({ account, invitee, role: 'member', invitedBy: owner });
    await invitations.accept(account.id, invitee);
    const stale = await accounts.getMembership(account.id, invitee.id);
    if (!stale) throw new Error('member');
    await accounts.changeRole(account.id, stale, 'admin');
    await expect(accounts.changeRole(account.id, stale, 'owner')).rejects.toBeInstanceOf(MemberChangedError);
    expect((await table.get(keys.account(account.id)))?.ownerCount).toBe(1);
    expect(await accounts.getMembership(account.id, invitee.id)).toMatchObject({ role: 'admin' });
  });
});
