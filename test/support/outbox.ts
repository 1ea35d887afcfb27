import { readFileSync } from 'node:fs';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import type { EventType } from '../../functions/shared/events/catalog.js';
import type { DomainEvent } from '../../functions/shared/events/domain-event.js';
import { eventOfOutboxItem } from '../../functions/shared/store/event-outbox.js';

/**
 * The domain events in a test table's outbox, and a check of each against its published schema
 * (events/schemas/, draft 4, as a consumer's validator reads it).
 */

// Both are CommonJS whose `module.exports` is also their `default` (typed as the module under NodeNext).
const ajv = new AjvDraft04.default({ allErrors: true, strict: true });
(addFormatsModule as unknown as (instance: typeof ajv) => void)(ajv);
const validators = new Map<string, ReturnType<typeof ajv.compile>>();
const schemaDir = new URL('../../events/schemas/', import.meta.url);

/** The schema's complaints about an event's detail (empty: valid). */
export function schemaErrors(event: DomainEvent): string[] {
  let validate = validators.get(event.type);
  if (!validate) {
    const schema = JSON.parse(readFileSync(new URL(`${event.type}.json`, schemaDir), 'utf8')) as object;
    validate = ajv.compile(schema);
    validators.set(event.type, validate);
  }
  return validate(event.detail)
    ? []
    : (validate.errors ?? []).map((error) => `${event.type}${error.instancePath} ${error.message ?? ''}`);
}

/** Every event in the outbox (a strongly consistent scan), oldest first; `types` narrows them. */
export async function outboxEvents(
  table: { raw: DynamoDBClient; tableName: string },
  types?: readonly EventType[],
): Promise<DomainEvent[]> {
  const events: DomainEvent[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await table.raw.send(
      new ScanCommand({
        TableName: table.tableName,
        ConsistentRead: true,
        FilterExpression: 'begins_with(PK, :outbox)',
        ExpressionAttributeValues: { ':outbox': { S: 'EVENT#' } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const event = eventOfOutboxItem(unmarshall(item));
      if (event && (!types || types.includes(event.type))) events.push(event);
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return events.sort((a, b) => a.detail.occurredAt.localeCompare(b.detail.occurredAt));
}

/** The outbox's events, each checked against its schema (a failure names every complaint). */
export async function validOutboxEvents(
  table: { raw: DynamoDBClient; tableName: string },
  types?: readonly EventType[],
): Promise<DomainEvent[]> {
  const events = await outboxEvents(table, types);
  expect(events.flatMap(schemaErrors)).toEqual([]);
  return events;
}
