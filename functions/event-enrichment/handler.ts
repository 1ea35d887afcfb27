import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { DomainEvent } from '../shared/events/domain-event.js';
import { eventOfOutboxItem } from '../shared/store/event-outbox.js';

/**
 * The EventBridge Pipe's enrichment (docs/events.md "In AWS"): the stream carries an outbox item as
 * DynamoDB JSON (`{"M": {"eventId": {"S": …}}}`), which a Pipes input transformer can only pick paths
 * from, never turn into plain JSON generically. This turns each record (already filtered to outbox
 * INSERTs by the pipe) into what the target puts on the bus: `detailType`, `time`, and the plain `detail`.
 * No AWS call, no state: a failure is the pipe's to retry.
 */
export type EnrichedEvent = { detailType: string; time: string; detail: DomainEvent['detail'] };

export const handler = async (records: DynamoDBRecord[]): Promise<EnrichedEvent[]> =>
  Promise.resolve(
    records.flatMap((record) => {
      const image = record.dynamodb?.NewImage;
      const event = image ? eventOfOutboxItem(unmarshall(image as never)) : undefined;
      // Not an outbox item: the pipe's filter lets none through; nothing to publish.
      if (!event) return [];
      // EventBridge's `time` has whole seconds.
      return [
        {
          detailType: event.type,
          time: event.detail.occurredAt.replace(/\.\d+Z$/, 'Z'),
          detail: event.detail,
        },
      ];
    }),
  );
