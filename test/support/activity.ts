import type { AttributeValue as LambdaAttributeValue, DynamoDBStreamEvent } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DomainEvent } from '../../functions/shared/events/domain-event.js';
import { outboxOperation } from '../../functions/shared/store/event-outbox.js';

let sequence = 1_000_000;

/**
 * The table's stream as Lambda hands it to the activity-log function: one INSERT record per event,
 * its NewImage the outbox item `outboxOperation` writes (DynamoDB JSON), with increasing sequence numbers.
 */
export function streamBatch(events: readonly DomainEvent[]): DynamoDBStreamEvent {
  return {
    Records: events.map((event) => {
      const operation = outboxOperation(event);
      if (!('put' in operation)) throw new Error('an outbox operation is a put');
      const image = marshall(operation.put, { removeUndefinedValues: true }) as Record<
        string,
        LambdaAttributeValue
      >;
      const SequenceNumber = String(sequence++).padStart(21, '0');
      return {
        eventID: SequenceNumber,
        eventName: 'INSERT' as const,
        eventSource: 'aws:dynamodb',
        eventVersion: '1.1',
        awsRegion: 'us-east-1',
        dynamodb: {
          Keys: { PK: image.PK as LambdaAttributeValue, SK: image.SK as LambdaAttributeValue },
          NewImage: image,
          SequenceNumber,
          SizeBytes: 500,
          StreamViewType: 'NEW_IMAGE' as const,
        },
        eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/test/stream/2026-01-01T00:00:00.000',
      };
    }),
  };
}
