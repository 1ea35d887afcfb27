import { consumedCapacity } from '../../scripts/bench/capacity.js';
import { interleave, median, percentile, ratio } from '../../scripts/bench/stats.js';

describe('bench statistics', () => {
  it('takes the nearest-rank percentile of sorted values', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('takes the median of unsorted values without reordering them', () => {
    const values = [9, 1, 5, 3, 7, 2, 8];
    expect(median(values)).toBe(5);
    expect(values).toEqual([9, 1, 5, 3, 7, 2, 8]);
    expect(median([4, 1, 3, 2])).toBe(2);
  });

  it('interleaves: every subject once per round, the order rotating', () => {
    const order = interleave(['a', 'b', 'c'], 3);
    expect(order.map((o) => `${o.round}${o.subject}`)).toEqual([
      '0a',
      '0b',
      '0c',
      '1b',
      '1c',
      '1a',
      '2c',
      '2a',
      '2b',
    ]);
    expect(interleave(['x'], 7)).toHaveLength(7);
    expect(interleave([], 7)).toEqual([]);
  });

  it('states ratios as anchor over measured', () => {
    expect(ratio(300, 75)).toBe(4);
  });
});

describe('consumed capacity', () => {
  it('counts a single answer by the kind of command when DynamoDB gives only the total', () => {
    expect(consumedCapacity('GetItemCommand', { ConsumedCapacity: { CapacityUnits: 0.5 } })).toEqual({
      read: 0.5,
      write: 0,
    });
    expect(consumedCapacity('PutItemCommand', { ConsumedCapacity: { CapacityUnits: 1 } })).toEqual({
      read: 0,
      write: 1,
    });
    expect(consumedCapacity('QueryCommand', {})).toEqual({ read: 0, write: 0 });
  });

  it('sums the per-table list of transactions and batches', () => {
    expect(
      consumedCapacity('TransactWriteItemsCommand', {
        ConsumedCapacity: [{ CapacityUnits: 4 }, { CapacityUnits: 2 }],
      }),
    ).toEqual({ read: 0, write: 6 });
    expect(consumedCapacity('BatchGetItemCommand', { ConsumedCapacity: [{ CapacityUnits: 1.5 }] })).toEqual({
      read: 1.5,
      write: 0,
    });
  });

  it('uses the read/write split when DynamoDB reports it', () => {
    expect(
      consumedCapacity('TransactWriteItemsCommand', {
        ConsumedCapacity: [{ CapacityUnits: 3, ReadCapacityUnits: 1, WriteCapacityUnits: 2 }],
      }),
    ).toEqual({ read: 1, write: 2 });
  });
});
