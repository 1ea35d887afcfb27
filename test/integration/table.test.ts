import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { ConditionFailedError } from '../../functions/shared/errors.js';
import { keys, prefixes } from '../../functions/shared/store/keys.js';
import { TABLE_DEFINITION } from '../../functions/shared/store/table-definition.js';
import { ITEM_ABSENT } from '../../functions/shared/store/table.js';
import { ensureTable } from '../../local/create-table.js';
import { createTestTable } from '../support/dynamodb.js';

let now = 1_800_000_000;
const fixture = await createTestTable({ now: () => now });
const { table } = fixture;
afterAll(() => fixture?.close());

describe('ensureTable (local runtime)', () => {
  it('builds the table from the stack definition: keys, GSI1 and TTL', async () => {
    const { Table: description } = await fixture.raw.send(
      new DescribeTableCommand({ TableName: fixture.tableName }),
    );
    expect(description?.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect(description?.GlobalSecondaryIndexes?.map((gsi) => [gsi.IndexName, gsi.KeySchema])).toEqual([
      [
        'GSI1',
        [
          { AttributeName: 'GSI1PK', KeyType: 'HASH' },
          { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
        ],
      ],
    ]);
    const ttl = await fixture.raw.send(new DescribeTimeToLiveCommand({ TableName: fixture.tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(TABLE_DEFINITION.timeToLiveAttribute);
  });

  it('is idempotent, keeping an existing table and its items', async () => {
    await table.put({ ...keys.account('kept'), name: 'Kept' });
    await expect(ensureTable(fixture.raw, fixture.tableName)).resolves.toBe('existing');
    await expect(table.get(keys.account('kept'))).resolves.toMatchObject({ name: 'Kept' });
  });
});

describe('Table', () => {
  it('refuses to overwrite when the write is conditional on absence', async () => {
    await table.put({ ...keys.account('a1'), name: 'First' }, ITEM_ABSENT);
    await expect(table.put({ ...keys.account('a1'), name: 'Second' }, ITEM_ABSENT)).rejects.toBeInstanceOf(
      ConditionFailedError,
    );
    await expect(table.get(keys.account('a1'))).resolves.toMatchObject({ name: 'First' });
  });

  it('treats items past expiresAt as absent, before DynamoDB TTL removes them', async () => {
    await table.put({ ...keys.oauthState('s1'), expiresAt: now + 600 });
    await expect(table.get(keys.oauthState('s1'))).resolves.toBeDefined();
    now += 601;
    await expect(table.get(keys.oauthState('s1'))).resolves.toBeUndefined();
    await expect(table.delete(keys.oauthState('s1'))).resolves.toBeUndefined();
  });

  it('deletes once: the second conditional delete fails (single-use items)', async () => {
    await table.put({ ...keys.oauthState('s2'), returnTo: '/' });
    await expect(
      table.delete(keys.oauthState('s2'), { expression: 'attribute_exists(PK)' }),
    ).resolves.toMatchObject({
      returnTo: '/',
    });
    await expect(
      table.delete(keys.oauthState('s2'), { expression: 'attribute_exists(PK)' }),
    ).rejects.toBeInstanceOf(ConditionFailedError);
  });

  it('walks the adjacency list both ways: links by account, accounts by installation (GSI1)', async () => {
    for (const account of ['team-a', 'team-b']) {
      await table.put({ ...keys.link(account, 42), linkedAt: 'now' });
    }
    await table.put({ ...keys.link('team-a', 7) });
    const linksOfA = await table.queryPartition('ACCOUNT#team-a', prefixes.link);
    expect(linksOfA.map((item) => item.SK).sort()).toEqual(['INSTALLATION#42', 'INSTALLATION#7']);
    const accountsOf42 = await table.queryGsi1('INSTALLATION#42', prefixes.account);
    expect(accountsOf42.map((item) => item.PK).sort()).toEqual(['ACCOUNT#team-a', 'ACCOUNT#team-b']);
  });

  it('reads exactly the sort keys that start with a prefix: not the keys around it', async () => {
    // Sort keys on both sides of the prefix's range, and the range's edges ('N#' itself, '~' the
    // highest printable ASCII character our keys may hold).
    const sks = ['M~', 'N', 'N"', 'N#', 'N#a', 'N#zz~~', 'N#~', 'N$', 'N$a', 'O#'];
    for (const SK of sks) await table.put({ PK: 'PREFIX#p', SK });
    const expected = ['N#', 'N#a', 'N#zz~~', 'N#~'];
    const all = await table.queryPartition('PREFIX#p', 'N#');
    expect(all.map((item) => item.SK)).toEqual(expected);
    const first = await table.queryPage({ pk: 'PREFIX#p', skPrefix: 'N#', limit: 2 });
    expect(first.items.map((item) => item.SK)).toEqual(['N#', 'N#a']);
    const rest = await table.queryPage({ pk: 'PREFIX#p', skPrefix: 'N#', afterSk: first.lastSk, limit: 10 });
    expect(rest.items.map((item) => item.SK)).toEqual(['N#zz~~', 'N#~']);
    expect(rest.lastSk).toBeUndefined();
    await expect(table.queryPartition('PREFIX#p', '')).resolves.toHaveLength(sks.length);
  });

  it('pages through partitions larger than one DynamoDB page', async () => {
    const big = 'x'.repeat(40_000);
    for (let i = 0; i < 40; i++) await table.put({ ...keys.link('big', i), padding: big });
    await expect(table.queryPartition('ACCOUNT#big', prefixes.link)).resolves.toHaveLength(40);
  });

  it('writes all or nothing in a transaction and reports the failed condition', async () => {
    await table.put({ ...keys.account('t1'), name: 'T1' });
    await expect(
      table.transactWrite([
        { put: { ...keys.membership('t1', 5), role: 'owner' } },
        { put: { ...keys.account('t1'), name: 'again' }, condition: ITEM_ABSENT },
      ]),
    ).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(table.get(keys.membership('t1', 5))).resolves.toBeUndefined();
  });

  it('updates with a version condition and returns the new item', async () => {
    await table.put({ ...keys.userToken(9), version: 1 });
    const updated = await table.update(
      keys.userToken(9),
      { expression: 'SET #v = :next', names: { '#v': 'version' }, values: { ':next': 2 } },
      { expression: '#v = :expected', values: { ':expected': 1 } },
    );
    expect(updated.version).toBe(2);
    await expect(
      table.update(
        keys.userToken(9),
        { expression: 'SET #v = :next', names: { '#v': 'version' }, values: { ':next': 3 } },
        { expression: '#v = :expected', values: { ':expected': 1 } },
      ),
    ).rejects.toBeInstanceOf(ConditionFailedError);
  });
});
