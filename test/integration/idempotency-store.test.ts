import {
  IDEMPOTENCY_KEEP_SECONDS,
  IdempotencyStore,
} from '../../functions/shared/store/idempotency-store.js';
import { createTestTable } from '../support/dynamodb.js';

/** The idempotency store against DynamoDB Local, with a clock the test moves. */
let now = 1_800_000_000;
const clock = () => now;
let fixture: Awaited<ReturnType<typeof createTestTable>>;
let store: IdempotencyStore;

beforeAll(async () => {
  fixture = await createTestTable({ now: clock });
  store = new IdempotencyStore(fixture.table, clock);
});
afterAll(() => fixture?.close());

const LOCK = 35;

describe('IdempotencyStore', () => {
  it('keeps a finished answer 24 h: replayed until then, the key free again after', async () => {
    const start = now;
    const first = await store.begin(1, 'key-a', 'body-1', LOCK);
    expect(first.kind).toBe('claimed');
    if (first.kind !== 'claimed') return;
    expect(await store.complete(1, 'key-a', first.claim, { statusCode: 201, body: '{"id":"x"}' })).toBe(true);

    now = start + IDEMPOTENCY_KEEP_SECONDS - 1;
    expect(await store.begin(1, 'key-a', 'body-1', LOCK)).toEqual({
      kind: 'replay',
      answer: { statusCode: 201, body: '{"id":"x"}' },
    });
    expect(await store.begin(1, 'key-a', 'body-2', LOCK)).toEqual({ kind: 'reused' });

    now = start + IDEMPOTENCY_KEEP_SECONDS + 1;
    // Expired (whether or not DynamoDB's TTL has deleted it yet): a new request with the key runs.
    expect((await store.begin(1, 'key-a', 'body-2', LOCK)).kind).toBe('claimed');
  });

  it('a claim blocks the same key until it expires (a crashed request never holds it for long)', async () => {
    const start = now;
    const first = await store.begin(2, 'key-b', 'body-1', LOCK);
    expect(first.kind).toBe('claimed');
    now = start + LOCK - 1;
    expect(await store.begin(2, 'key-b', 'body-1', LOCK)).toEqual({ kind: 'in_progress' });
    expect(await store.begin(2, 'key-b', 'body-2', LOCK)).toEqual({ kind: 'reused' });
    now = start + LOCK;
    const second = await store.begin(2, 'key-b', 'body-1', LOCK);
    expect(second.kind).toBe('claimed');
    // The first request, finishing late, no longer owns the key: its answer is not kept.
    if (first.kind === 'claimed')
      expect(await store.complete(2, 'key-b', first.claim, { statusCode: 201, body: '{}' })).toBe(false);
    if (second.kind === 'claimed')
      expect(await store.complete(2, 'key-b', second.claim, { statusCode: 204, body: undefined })).toBe(true);
    expect(await store.begin(2, 'key-b', 'body-1', LOCK)).toEqual({
      kind: 'replay',
      answer: { statusCode: 204, body: undefined },
    });
  });

  it('a released claim (a 5xx) lets the next request run; keys are per caller', async () => {
    const first = await store.begin(3, 'key-c', 'body-1', LOCK);
    if (first.kind !== 'claimed') throw new Error(first.kind);
    await store.release(3, 'key-c', first.claim);
    expect((await store.begin(3, 'key-c', 'body-1', LOCK)).kind).toBe('claimed');
    // Another caller's same key is another key.
    expect((await store.begin(4, 'key-c', 'body-9', LOCK)).kind).toBe('claimed');
  });

  it('of concurrent first requests with one key, exactly one claims it', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => store.begin(5, 'key-d', 'body-1', LOCK)),
    );
    expect(outcomes.filter((outcome) => outcome.kind === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.kind === 'in_progress')).toHaveLength(7);
  });
});
