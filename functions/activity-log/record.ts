import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { DomainEvent } from '../shared/events/domain-event.js';
import type { ActivityStore } from '../shared/store/activity-store.js';
import { eventOfOutboxItem } from '../shared/store/event-outbox.js';

export type RecordSummary = {
  /** Outbox INSERTs in the batch, and the activity items they gave. */
  events: number;
  items: number;
  /** Records of the batch that were no outbox INSERT (the event source's filter lets none through). */
  skipped: number;
  /** The sequence number the batch failed from, if any, and why. */
  failedFrom: string | undefined;
  error?: unknown;
};

/** The event an outbox INSERT record carries (its NewImage), or undefined for any other record. */
export function eventOfRecord(record: DynamoDBRecord): DomainEvent | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return undefined;
  // aws-lambda's AttributeValue and the SDK's describe the same DynamoDB JSON.
  return eventOfOutboxItem(unmarshall(image as Record<string, AttributeValue>));
}

/**
 * One batch of the table's stream: each outbox event becomes one activity item per account it names.
 * Records are answered in stream order (Lambda's ReportBatchItemFailures for streams): the first
 * record some item of which may be unwritten is reported, and Lambda retries the batch from it. Every
 * write is idempotent (same key, same item), so records after it that were written are written again,
 * not twice.
 */
export async function recordActivity(
  batch: DynamoDBStreamEvent,
  options: { store: ActivityStore; retentionDays: number },
): Promise<DynamoDBBatchResponse & { summary: RecordSummary }> {
  const records = batch.Records.map((record) => ({ record, event: eventOfRecord(record) }));
  const events = records.flatMap(({ event }) => (event ? [event] : []));
  const { failed, error } = await options.store.record(events, options.retentionDays);
  const firstFailed = records.find(({ event }) => event && failed.has(event.detail.eventId));
  const failedFrom = firstFailed?.record.dynamodb?.SequenceNumber;
  if (firstFailed && failedFrom === undefined)
    throw new Error('A failed stream record has no sequence number');
  return {
    batchItemFailures: failedFrom === undefined ? [] : [{ itemIdentifier: failedFrom }],
    summary: {
      events: events.length,
      items: events.reduce((sum, event) => sum + event.detail.platformAccountIds.length, 0),
      skipped: records.length - events.length,
      failedFrom,
      ...(failedFrom === undefined ? {} : { error }),
    },
  };
}
