import { keys } from '../../functions/shared/store/keys.js';
import {
  VEND_AUDIT_TTL_SECONDS,
  VendAuditStore,
  type VendIssue,
} from '../../functions/shared/store/vend-audit-store.js';
import { recordDynamoRequests } from '../support/dynamodb-requests.js';
import { createTestTable } from '../support/dynamodb.js';

/**
 * The vended-token audit against DynamoDB Local: each issue is an item of its own (the audit), and the
 * principal's holder item, rewritten by each issue to it, is what revocation reads: one strongly
 * consistent GetItem, however many times the token was issued.
 */
const fixture = await createTestTable();
const { table } = fixture;
const NOW = Date.parse('2031-01-01T00:00:00.000Z');
const store = new VendAuditStore(table, () => NOW);
afterAll(() => fixture?.close());

const SHA = 'ab'.repeat(32);
const BUILDER = 'arn:aws:iam::123456789012:role/builder';
const RUNNER = 'arn:aws:iam::123456789012:role/runner';
/** What every issue of one token shares: the token's installation, permissions and expiry. */
const TOKEN = {
  tokenSha256: SHA,
  installationId: 7,
  permissions: { contents: 'read' as const },
  tokenExpiresAt: '2031-01-01T01:00:00.000Z',
};
const issue = (n: number, fields: Partial<VendIssue> = {}): VendIssue => ({
  ...TOKEN,
  issuedAt: new Date(NOW + n * 1000).toISOString(),
  requestId: `request-${n}`,
  accountId: 'team-a',
  principal: BUILDER,
  policyId: 'builder',
  repositories: ['octo-org/app-one', 'octo-org/app-two'],
  ...fields,
});
const scope = { repositoryNames: ['app-one', 'app-two'] };

it('keeps every issue, and one holder item per principal with what revocation needs', async () => {
  await store.recordIssue(issue(1), scope);
  await store.recordIssue(issue(2, { accountId: 'team-b' }), scope);
  await store.recordIssue(issue(3, { principal: RUNNER, policyId: 'runner' }), scope);

  const partition = await table.queryPartition(`VEND#${SHA}`, '', { consistent: true });
  expect(partition.map((item) => item.SK)).toEqual([
    `HOLDER#${BUILDER}`,
    `HOLDER#${RUNNER}`,
    `ISSUE#${issue(1).issuedAt}#request-1`,
    `ISSUE#${issue(2).issuedAt}#request-2`,
    `ISSUE#${issue(3).issuedAt}#request-3`,
  ]);
  // The issue items are the audit, unchanged in shape: each issue's own account, principal and policy.
  expect(await table.get(keys.vendIssue(SHA, issue(2).issuedAt, 'request-2'))).toEqual({
    ...keys.vendIssue(SHA, issue(2).issuedAt, 'request-2'),
    kind: 'issue',
    ...issue(2, { accountId: 'team-b' }),
    expiresAt: NOW / 1000 + VEND_AUDIT_TTL_SECONDS,
  });

  // The builder's holder: the latest issue's account, the token's scope as the cache keys it, kept as
  // long as the audit (a revocation of an expired token is still the holder's).
  expect(await store.holder(SHA, BUILDER)).toEqual({
    ...TOKEN,
    principal: BUILDER,
    accountId: 'team-b',
    repositoryNames: ['app-one', 'app-two'],
  });
  expect((await table.get(keys.vendHolder(SHA, BUILDER)))?.expiresAt).toBe(
    NOW / 1000 + VEND_AUDIT_TTL_SECONDS,
  );
  expect(await store.holder(SHA, RUNNER)).toMatchObject({ principal: RUNNER, accountId: 'team-a' });
});

it('answers no holder for a role the token was not issued to, nor for a token never vended', async () => {
  expect(await store.holder(SHA, 'arn:aws:iam::123456789012:role/stranger')).toBeUndefined();
  // A prefix of a holder's role is another role.
  expect(await store.holder(SHA, 'arn:aws:iam::123456789012:role/build')).toBeUndefined();
  expect(await store.holder('cd'.repeat(32), BUILDER)).toBeUndefined();
});

it('finds the holder with one strongly consistent GetItem, whatever the number of issues', async () => {
  const many = Array.from({ length: 100 }, (_, n) => issue(100 + n));
  for (const entry of many) await store.recordIssue(entry, scope);
  const dynamo = recordDynamoRequests(table.client);
  try {
    expect(await store.holder(SHA, BUILDER)).toMatchObject({ principal: BUILDER });
    expect(dynamo.requests.map((request) => request.operation)).toEqual(['GetItem']);
    expect(dynamo.totals().readUnits).toBe(1);
  } finally {
    dynamo.stop();
  }
});
