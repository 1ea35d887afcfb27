/**
 * `npm start`'s stand-in for what reads the table's stream in AWS (EventBridge Pipes, and any stream
 * Lambda): it follows every shard of DynamoDB Local's stream, hands each batch of records to its
 * consumers in the shape Lambda gets (DynamoDBStreamEvent), and keeps its checkpoint (the last sequence
 * number handled per shard) in a file, so a restart of `npm start` or of DynamoDB Local resumes where it
 * stopped: at least once, in order per shard, nothing lost (docs/events.md "Locally (`npm start`)").
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventOfOutboxItem, OUTBOX_PK_PREFIX } from '../functions/shared/store/event-outbox.js';
import type { DomainEvent } from '../functions/shared/events/domain-event.js';
import { LOCAL_AWS_SETTINGS } from './dynamodb-local.js';
import { backoffMs, DEFAULT_BACKOFF, DeliveryStopped, pause, type Backoff } from './event-delivery.js';

/** A consumer of the stream, as a stream Lambda's handler: a thrown error (or batchItemFailures) retries. */
export type StreamRecordsHandler = (
  event: DynamoDBStreamEvent,
) => Promise<DynamoDBBatchResponse | void> | DynamoDBBatchResponse | void;

export type StreamConsumerOptions = {
  /** For the log. */
  name?: string;
  /** Which records it gets (an event source mapping's filter); default: outbox INSERTs. */
  filter?: (record: DynamoDBRecord) => boolean;
};

export type EventStreamStats = {
  /** Stream records read. */
  records: number;
  /** Outbox INSERTs among them (events). */
  events: number;
  /** Batches a consumer failed and was handed again. */
  consumerRetries: number;
  /** Times the stream could not be read (DynamoDB Local down or restarting). */
  readErrors: number;
};

export type EventStreamReader = {
  /** Adds a consumer; each gets every matching record at least once, in order per shard. */
  onRecords(handler: StreamRecordsHandler, options?: StreamConsumerOptions): void;
  /** Adds a consumer of the domain events (outbox INSERTs), one at a time in stream order. */
  onEvent(handler: (event: DomainEvent) => Promise<void> | void, name?: string): void;
  readonly stats: EventStreamStats;
  /** Resolves once every record the stream holds now has been handed to every consumer. */
  drained(): Promise<void>;
  stop(): Promise<void>;
};

/** The pipe's filter: an INSERT of an outbox item (`PK` begins with `EVENT#`). */
export function isOutboxInsert(record: DynamoDBRecord): boolean {
  const pk = record.dynamodb?.Keys?.PK?.S ?? record.dynamodb?.NewImage?.PK?.S;
  return record.eventName === 'INSERT' && pk?.startsWith(OUTBOX_PK_PREFIX) === true;
}

/** The domain event of a stream record of the outbox, as delivery reads it (the detail unmarshalled). */
export function eventOfRecord(record: DynamoDBRecord): DomainEvent | undefined {
  const image = record.dynamodb?.NewImage;
  return image ? eventOfOutboxItem(unmarshall(image as never)) : undefined;
}

type ShardState = { sequenceNumber?: string; closed?: true };
type Checkpoint = { streamArn?: string; shards: Record<string, ShardState> };

/** Sequence numbers are decimal strings of varying length: compared as numbers. */
const after = (a: string, b: string | undefined) => b === undefined || BigInt(a) > BigInt(b);

/** The SDK's record in Lambda's shape (epoch seconds, binary as base64, the stream's ARN). */
function lambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const json = JSON.parse(
    JSON.stringify(record, (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
    ),
  ) as DynamoDBRecord;
  const created = record.dynamodb?.ApproximateCreationDateTime;
  if (json.dynamodb && created) json.dynamodb.ApproximateCreationDateTime = created.getTime() / 1000;
  return { ...json, eventSourceARN: streamArn };
}

export function startEventStreamReader(options: {
  endpoint: string;
  tableName: string;
  /** Where the checkpoint is kept (npm start: `<LOCAL_DATA_DIR>/event-stream.json`). */
  checkpointFile: string;
  log: (line: string) => void;
  pollMs?: number;
  /** A failing consumer is handed its batch again after this backoff. */
  backoff?: Backoff;
}): EventStreamReader {
  const pollMs = options.pollMs ?? 500;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const settings = { ...LOCAL_AWS_SETTINGS, endpoint: options.endpoint, maxAttempts: 1 };
  const dynamodb = new DynamoDBClient(settings);
  const streams = new DynamoDBStreamsClient(settings);
  const abort = new AbortController();
  const stats: EventStreamStats = { records: 0, events: 0, consumerRetries: 0, readErrors: 0 };

  type Consumer = {
    name: string;
    filter: (record: DynamoDBRecord) => boolean;
    handler: StreamRecordsHandler;
    /** What it has handled of the batch being retried, per shard (the checkpoint moves per batch). */
    handled: Map<string, string>;
  };
  const consumers: Consumer[] = [];

  const checkpoint = readCheckpoint(options.checkpointFile);
  const save = () => writeCheckpoint(options.checkpointFile, checkpoint);
  const iterators = new Map<string, string>();
  let shards: Shard[] = [];
  let shardsReadAt = 0;
  let caughtUpAt = 0;
  let downSince: number | undefined;

  const streamArn = async (): Promise<string> => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
    const arn = Table?.LatestStreamArn;
    if (!arn) throw new Error(`table ${options.tableName} has no stream`);
    if (checkpoint.streamArn !== arn) {
      // A new table (or a new stream): its records are all new, from its first one.
      if (checkpoint.streamArn) options.log(`event stream: ${arn} is new, reading it from its start`);
      checkpoint.streamArn = arn;
      checkpoint.shards = {};
      iterators.clear();
      save();
    }
    return arn;
  };

  const listShards = async (arn: string): Promise<Shard[]> => {
    const all: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }),
      );
      all.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return all;
  };

  /** Hands `records` to each consumer until it takes them (retried with backoff; only stop ends it). */
  const handOut = async (shardId: string, records: DynamoDBRecord[]) => {
    for (const consumer of consumers) {
      for (let attempt = 1; ; attempt++) {
        const done = consumer.handled.get(shardId);
        const pending = records.filter(
          (record) => consumer.filter(record) && after(record.dynamodb?.SequenceNumber ?? '0', done),
        );
        if (pending.length === 0) break;
        let failedFrom: string | undefined;
        try {
          const result = await consumer.handler({ Records: pending });
          const failures = (result ?? undefined)?.batchItemFailures ?? [];
          failedFrom = failures
            .map((failure) => failure.itemIdentifier)
            .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0];
        } catch (error) {
          if (error instanceof DeliveryStopped) throw error;
          options.log(`event stream: consumer ${consumer.name} failed: ${(error as Error).message}`);
          failedFrom = pending[0]?.dynamodb?.SequenceNumber;
        }
        const handledUpTo = pending
          .map((record) => record.dynamodb?.SequenceNumber ?? '0')
          .filter((sequence) => failedFrom === undefined || BigInt(sequence) < BigInt(failedFrom))
          .at(-1);
        if (handledUpTo) consumer.handled.set(shardId, handledUpTo);
        if (failedFrom === undefined) break;
        stats.consumerRetries++;
        await pause(backoffMs(attempt, backoff), abort.signal);
      }
    }
  };

  /** One read of one shard; false once the shard is closed and read to its end. */
  const readShard = async (arn: string, shard: Shard): Promise<boolean> => {
    const shardId = shard.ShardId ?? '';
    const state = (checkpoint.shards[shardId] ??= {});
    let iterator = iterators.get(shardId);
    if (!iterator) {
      const from = (sequenceNumber: string | undefined) =>
        streams.send(
          new GetShardIteratorCommand({
            StreamArn: arn,
            ShardId: shardId,
            ...(sequenceNumber
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: sequenceNumber }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        );
      const { ShardIterator } = await from(state.sequenceNumber).catch((error: Error) => {
        // Stopped longer than the stream keeps records (24 h): what is left is read from its oldest.
        if (error.name !== 'TrimmedDataAccessException') throw error;
        options.log(`event stream: records after the checkpoint of ${shardId} are gone; reading its oldest`);
        return from(undefined);
      });
      iterator = ShardIterator;
    }
    const { Records = [], NextShardIterator } = iterator
      ? await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }))
      : { Records: [], NextShardIterator: undefined };
    const records = Records.map((record) => lambdaRecord(record, arn));
    stats.records += records.length;
    stats.events += records.filter(isOutboxInsert).length;
    if (records.length > 0) {
      await handOut(shardId, records);
      state.sequenceNumber = records.at(-1)?.dynamodb?.SequenceNumber;
      for (const consumer of consumers) consumer.handled.delete(shardId);
    }
    if (NextShardIterator) iterators.set(shardId, NextShardIterator);
    else {
      iterators.delete(shardId);
      state.closed = true;
    }
    if (records.length > 0 || !NextShardIterator) save();
    return records.length > 0;
  };

  /** One pass over the open shards, parents before their children (a child starts once its parent is read). */
  const pass = async (): Promise<boolean> => {
    const arn = await streamArn();
    if (Date.now() - shardsReadAt > 5000 || shards.length === 0) {
      shards = await listShards(arn);
      shardsReadAt = Date.now();
    }
    const known = new Set(shards.map((shard) => shard.ShardId));
    let read = false;
    for (const shard of shards) {
      const shardId = shard.ShardId ?? '';
      if (checkpoint.shards[shardId]?.closed) continue;
      const parent = shard.ParentShardId;
      if (parent && known.has(parent) && !checkpoint.shards[parent]?.closed) continue;
      // A shard with records is read again at once: a backlog drains without waiting for the poll.
      while (!abort.signal.aborted && (await readShard(arn, shard))) read = true;
      if (checkpoint.shards[shardId]?.closed) shardsReadAt = 0;
    }
    return read;
  };

  const loop = async () => {
    for (let failures = 0; !abort.signal.aborted;) {
      const started = Date.now();
      try {
        await pass();
        caughtUpAt = started;
        if (downSince !== undefined) {
          options.log(`event stream: reading again after ${Math.round((Date.now() - downSince) / 1000)} s`);
          downSince = undefined;
        }
        failures = 0;
        await pause(pollMs, abort.signal);
      } catch (error) {
        if (error instanceof DeliveryStopped || abort.signal.aborted) return;
        // DynamoDB Local down or restarting: its iterators are gone; resume from the checkpoint.
        stats.readErrors++;
        iterators.clear();
        shards = [];
        if (downSince === undefined) {
          downSince = Date.now();
          options.log(
            `event stream: cannot read (${(error as Error).name}: ${(error as Error).message}); retrying`,
          );
        }
        await pause(backoffMs(++failures, backoff), abort.signal).catch(() => undefined);
      }
    }
  };
  const running = loop();

  const onRecords: EventStreamReader['onRecords'] = (handler, consumerOptions = {}) => {
    consumers.push({
      name: consumerOptions.name ?? `consumer ${consumers.length + 1}`,
      filter: consumerOptions.filter ?? isOutboxInsert,
      handler,
      handled: new Map(),
    });
  };

  return {
    stats,
    onRecords,
    onEvent(handler, name = 'events') {
      // One event at a time; a failure hands back that event and those after it (batchItemFailures).
      onRecords(
        async ({ Records }) => {
          for (const record of Records) {
            const event = eventOfRecord(record);
            try {
              if (event) await handler(event);
            } catch (error) {
              if (error instanceof DeliveryStopped) throw error;
              options.log(
                `event stream: ${name} failed on ${event?.detail.eventId}: ${(error as Error).message}`,
              );
              return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '0' }] };
            }
          }
        },
        { name, filter: isOutboxInsert },
      );
    },
    async drained() {
      const since = Date.now();
      while (caughtUpAt <= since) {
        if (abort.signal.aborted) throw new DeliveryStopped();
        await pause(50, abort.signal);
      }
    },
    async stop() {
      abort.abort();
      await running;
      dynamodb.destroy();
      streams.destroy();
    },
  };
}

function readCheckpoint(file: string): Checkpoint {
  if (!existsSync(file)) return { shards: {} };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Checkpoint>;
  return { streamArn: parsed.streamArn, shards: parsed.shards ?? {} };
}

/** Written whole and renamed into place: a crash leaves the previous checkpoint, never half of one. */
function writeCheckpoint(file: string, checkpoint: Checkpoint): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(temporary, file);
}
