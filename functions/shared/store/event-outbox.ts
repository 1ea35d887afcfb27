import { ConditionFailedError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import { keys } from './keys.js';
import type { Item, Table, TransactOperation } from './table.js';

/**
 * How long an outbox item stays after its change. Delivery reads the table's stream (kept 24 h by
 * DynamoDB); the item outlives that so a replay of the stream still finds what it names.
 */
export const OUTBOX_TTL_SECONDS = 7 * 24 * 3600;

/** The prefix of every outbox item's PK: the stream filter (EventBridge Pipes, local delivery) keys on it. */
export const OUTBOX_PK_PREFIX = 'EVENT#';

/**
 * The outbox write of `event`, to put in the same transaction as the change it reports: the event
 * exists if and only if the change does. Never overwrites (a reused id would be a bug, not a retry:
 * the SDK's retries of one transaction carry the same ClientRequestToken).
 */
export function outboxOperation(event: DomainEvent, now = Date.now()): TransactOperation {
  return { put: outboxItem(event, now), condition: { expression: 'attribute_not_exists(PK)' } };
}

function outboxItem(event: DomainEvent, now: number): Item {
  return {
    ...keys.outboxEvent(event.detail.eventId),
    detailType: event.type,
    // The detail as a map: the stream carries it typed (DynamoDB JSON), unmarshalled on delivery.
    detail: event.detail,
    occurredAt: event.detail.occurredAt,
    expiresAt: Math.floor(now / 1000) + OUTBOX_TTL_SECONDS,
  };
}

/** The event an outbox item holds (a stream record's NewImage, unmarshalled), or undefined if it is none. */
export function eventOfOutboxItem(item: Record<string, unknown>): DomainEvent | undefined {
  if (typeof item.PK !== 'string' || !item.PK.startsWith(OUTBOX_PK_PREFIX) || item.SK !== 'EVENT')
    return undefined;
  if (typeof item.detailType !== 'string' || typeof item.detail !== 'object' || item.detail === null)
    return undefined;
  return { type: item.detailType, detail: item.detail } as DomainEvent;
}

/**
 * Writes an event that reports no change of the table (a commit made at GitHub), once: its id must be
 * derived from what it reports (`stableEventId`), so a second write of the same fact is refused by the
 * outbox item's own condition. False when it was already written.
 */
export async function writeEventOnce(table: Table, event: DomainEvent): Promise<boolean> {
  try {
    await table.transactWrite([outboxOperation(event)]);
    return true;
  } catch (error) {
    if (error instanceof ConditionFailedError) return false;
    throw error;
  }
}
