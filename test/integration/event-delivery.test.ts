import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventConsumer, validSignature } from '../../examples/event-consumer.js';
import { signatureOf, SIGNATURE_HEADER } from '../../local/event-delivery.js';
import { createTestTable, testDynamoEndpoint } from '../support/dynamodb.js';
import { close, flakyTarget, listen, startDelivery, writeEvent } from '../support/event-delivery.js';

/**
 * Local event delivery (docs/events.md "Locally (`npm start`)"): DynamoDB Local's stream → the reader → a signed
 * EventBridge envelope to the target (the example consumer), over real HTTP.
 */
const secret = 'test-signing-secret';
let fx: Awaited<ReturnType<typeof createTestTable>>;
let dir: string;
const running: Array<() => Promise<void>> = [];

beforeAll(async () => {
  fx = await createTestTable({ stream: true });
  dir = mkdtempSync(join(tmpdir(), 'event-delivery-'));
});
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});
afterAll(() => {
  fx.close();
  rmSync(dir, { recursive: true, force: true });
});

async function consumerAt() {
  const consumer = createEventConsumer({ secret });
  const url = await listen(consumer.server);
  running.push(() => close(consumer.server));
  return { consumer, url };
}

function delivery(targetUrl: string | undefined, checkpoint: string, log?: string[]) {
  const started = startDelivery({
    endpoint: testDynamoEndpoint(),
    tableName: fx.tableName,
    checkpointFile: join(dir, checkpoint),
    targetUrl,
    secret,
    log,
  });
  running.push(started.stop);
  return started;
}

describe('local event delivery', () => {
  it('posts each outbox insert once as the signed EventBridge envelope, and nothing else of the table', async () => {
    const { consumer, url } = await consumerAt();
    const log: string[] = [];
    const { reader, deliverer } = delivery(url, 'first.json', log);
    await reader.drained();
    const before = consumer.events.length;

    await fx.table.put({ PK: 'ACCOUNT#not-an-event', SK: 'META', name: 'x' });
    const first = await writeEvent(fx.table, 'acc-1', 'Team A');
    const second = await writeEvent(fx.table, 'acc-2', 'Team B');
    await reader.drained();

    const received = consumer.events.slice(before);
    expect(received.map((event) => event.id)).toEqual([first.detail.eventId, second.detail.eventId]);
    expect(received[0]).toEqual({
      version: '0',
      id: first.detail.eventId,
      'detail-type': 'account.created',
      source: 'github-app-accounts',
      account: '000000000000',
      time: first.detail.occurredAt.replace(/\.\d+Z$/, 'Z'),
      region: 'us-east-1',
      resources: [],
      detail: first.detail,
    });
    expect(consumer.counts).toMatchObject({ rejected: 0, duplicates: 0 });
    expect(deliverer.stats).toMatchObject({ delivered: before + 2, failed: 0, retried: 0 });
    expect(log.filter((line) => line.includes(first.detail.eventId))).toEqual([
      expect.stringContaining(`event account.created ${first.detail.eventId} accounts=acc-1 → delivered`),
    ]);
  });

  it('keeps retrying a target that answers 500, and delivers once it recovers, in order', async () => {
    const { consumer, url } = await consumerAt();
    const { reader } = delivery(undefined, 'flaky-skip.json');
    await reader.drained(); // the checkpoint of this test starts after earlier tests' events
    await reader.stop();
    const target = flakyTarget([500, 500, 503], url);
    const targetUrl = await listen(target.server);
    running.push(() => close(target.server));

    const { reader: flakyReader, deliverer } = delivery(targetUrl, 'flaky-skip.json');
    const first = await writeEvent(fx.table, 'acc-3', 'Team C');
    const second = await writeEvent(fx.table, 'acc-3', 'Team C2');
    await flakyReader.drained();

    expect(target.answered).toEqual([500, 500, 503, 200, 200]);
    expect(consumer.events.map((event) => event.id)).toEqual([first.detail.eventId, second.detail.eventId]);
    expect(deliverer.stats).toMatchObject({ delivered: 2, failed: 3, retried: 3 });
  });

  it('resumes from its checkpoint after a restart, and a replay from scratch only repeats what the consumer drops by id', async () => {
    const { consumer, url } = await consumerAt();
    const first = delivery(url, 'replay.json');
    await first.reader.drained();
    const seen = consumer.events.length;
    const a = await writeEvent(fx.table, 'acc-4', 'Team D');
    await first.reader.drained();
    await first.stop();

    // Written while nothing reads the stream (npm start stopped): delivered after the restart, alone.
    const b = await writeEvent(fx.table, 'acc-4', 'Team D2');
    const restarted = delivery(url, 'replay.json');
    await restarted.reader.drained();
    expect(consumer.events.slice(seen).map((event) => event.id)).toEqual([
      a.detail.eventId,
      b.detail.eventId,
    ]);
    expect(restarted.deliverer.stats.delivered).toBe(1);
    expect(consumer.counts.duplicates).toBe(0);
    await restarted.stop();

    // The checkpoint reset: the whole stream again. Every event comes again; the consumer drops each.
    rmSync(join(dir, 'replay.json'));
    const replay = delivery(url, 'replay.json');
    await replay.reader.drained();
    expect(replay.deliverer.stats.delivered).toBe(seen + 2);
    expect(consumer.counts.duplicates).toBe(seen + 2);
    expect(consumer.events.slice(seen).map((event) => event.id)).toEqual([
      a.detail.eventId,
      b.detail.eventId,
    ]);
    expect(new Set(consumer.events.map((event) => event.id)).size).toBe(consumer.events.length);
  });

  it('hands a consumer that failed its batch again, without holding the others back or redelivering to them', async () => {
    const { consumer, url } = await consumerAt();
    const { reader, deliverer } = delivery(url, 'consumers.json');
    await reader.drained();
    const before = deliverer.stats.delivered;
    const calls: string[][] = [];
    reader.onRecords(
      (event) => {
        calls.push(event.Records.map((record) => record.dynamodb?.NewImage?.PK?.S ?? ''));
        if (calls.length === 1) throw new Error('activity store down');
      },
      { name: 'activity' },
    );
    const event = await writeEvent(fx.table, 'acc-5', 'Team E');
    await reader.drained();

    expect(calls).toEqual([[`EVENT#${event.detail.eventId}`], [`EVENT#${event.detail.eventId}`]]);
    expect(reader.stats.consumerRetries).toBe(1);
    expect(deliverer.stats.delivered).toBe(before + 1);
    expect(consumer.events.filter((received) => received.id === event.detail.eventId)).toHaveLength(1);
  });

  it('signs the raw body; the example consumer rejects a wrong or missing signature', async () => {
    const { consumer, url } = await consumerAt();
    const body = JSON.stringify({ id: 'x', 'detail-type': 'account.created', detail: {} });
    expect(validSignature(Buffer.from(body), signatureOf(body, secret), secret)).toBe(true);
    expect(validSignature(Buffer.from(`${body} `), signatureOf(body, secret), secret)).toBe(false);

    const post = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await post({ [SIGNATURE_HEADER]: signatureOf(body, 'another-secret') })).status).toBe(401);
    expect((await post({})).status).toBe(401);
    expect(consumer.counts).toEqual({ accepted: 0, duplicates: 0, rejected: 2 });
    expect((await post({ [SIGNATURE_HEADER]: signatureOf(body, secret) })).status).toBe(200);
    expect(consumer.counts.accepted).toBe(1);
  });
});
