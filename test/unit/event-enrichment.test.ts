import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { handler } from '../../functions/event-enrichment/handler.js';
import { domainEvent, githubActor } from '../../functions/shared/events/domain-event.js';
import { outboxOperation } from '../../functions/shared/store/event-outbox.js';
import { schemaErrors } from '../support/outbox.js';

/** What the pipe hands its enrichment: stream records of outbox INSERTs, images in DynamoDB JSON. */
function streamRecord(item: Record<string, unknown>, eventName: DynamoDBRecord['eventName'] = 'INSERT') {
  const image = marshall(item, { removeUndefinedValues: true }) as NonNullable<
    NonNullable<DynamoDBRecord['dynamodb']>['NewImage']
  >;
  return {
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: { Keys: { PK: image.PK ?? {}, SK: image.SK ?? {} }, NewImage: image, SequenceNumber: '1' },
  } as DynamoDBRecord;
}

describe('the pipe enrichment', () => {
  it('turns each outbox record into the plain detail, its detail-type and time', async () => {
    const pushed = domainEvent(
      'repository.pushed',
      { actor: githubActor('octo-demo'), correlationId: 'delivery-1' },
      ['acc-1', 'acc-2'],
      {
        repository: { id: 5, owner: 'octo-org', name: 'app', installationId: 9 },
        ref: 'refs/heads/main',
        before: 'a'.repeat(40),
        after: 'b'.repeat(40),
        commitCount: 2,
        compareUrl: 'https://github.com/octo-org/app/compare/a...b',
        pusher: { name: 'Octo Demo', login: 'octo-demo' },
      },
    );
    const operation = outboxOperation(pushed);
    if (!('put' in operation)) throw new Error('the outbox write is a put');
    const item = operation.put;
    const enriched = await handler([streamRecord(item)]);
    expect(enriched).toEqual([
      {
        detailType: 'repository.pushed',
        time: pushed.detail.occurredAt.replace(/\.\d+Z$/, 'Z'),
        detail: pushed.detail,
      },
    ]);
    expect(JSON.stringify(enriched)).not.toContain('{"S":');
    expect(schemaErrors({ type: 'repository.pushed', detail: enriched[0]?.detail } as never)).toEqual([]);
  });

  it('publishes nothing for a record that is not an outbox item', async () => {
    expect(await handler([streamRecord({ PK: 'ACCOUNT#1', SK: 'META', name: 'x' })])).toEqual([]);
  });
});
