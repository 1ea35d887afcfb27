import { ConditionFailedError } from '../errors.js';
import { keys } from './keys.js';
import type { Table } from './table.js';

/** A delivery being processed holds this long before a redelivery may take over. */
const PROCESSING_LEASE_MS = 30_000;
/** GitHub redelivers by hand within days; keep delivery records a week. */
const RECORD_TTL_SECONDS = 7 * 24 * 3600;

/**
 * What a claim found: ours to process, another invocation's, or done before. A delivery done as
 * `invalid` (a signed payload the service could not use) carries the fields that were wrong, so a
 * redelivery of the same bytes gets the same answer without being looked at again.
 */
export type DeliveryStart =
  | { status: 'start' }
  | { status: 'in_progress' }
  | { status: 'done'; outcome: 'applied' | 'ignored' }
  | { status: 'invalid'; fields: string[] };

/**
 * Webhook deliveries by `X-GitHub-Delivery`: processing → done (applied, ignored or invalid), so
 * effects apply once; an operator finds every delivery, invalid ones included, under `DELIVERY#<id>`.
 */
export class DeliveryStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Claims a delivery. A new one, one that failed, or one whose processing lease lapsed is ours to
   * process (`start`); one already done is `done`; one another invocation is processing is `in_progress`.
   */
  async begin(deliveryId: string, event: string, action: string | undefined): Promise<DeliveryStart> {
    const now = this.now();
    try {
      await this.table.update(
        keys.webhookDelivery(deliveryId),
        {
          expression:
            'SET #status = :processing, #event = :event, #action = :action, leaseUntil = :until, attempts = if_not_exists(attempts, :zero) + :one, startedAt = :started, expiresAt = :ttl',
          // status, event and action are DynamoDB reserved words.
          names: { '#status': 'status', '#event': 'event', '#action': 'action' },
          values: {
            ':processing': 'processing',
            ':event': event,
            ':action': action ?? null,
            ':until': now + PROCESSING_LEASE_MS,
            ':zero': 0,
            ':one': 1,
            ':started': new Date(now).toISOString(),
            ':ttl': Math.floor(now / 1000) + RECORD_TTL_SECONDS,
          },
        },
        {
          expression:
            'attribute_not_exists(PK) OR #status = :failed OR (#status = :processing AND leaseUntil < :now)',
          names: { '#status': 'status' },
          values: { ':failed': 'failed', ':processing': 'processing', ':now': now },
        },
      );
      return { status: 'start' };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const item = await this.table.get(keys.webhookDelivery(deliveryId));
    if (item?.status !== 'done') return { status: 'in_progress' };
    if (item.outcome === 'invalid') {
      const fields = Array.isArray(item.invalidFields) ? item.invalidFields.map(String) : [];
      return { status: 'invalid', fields };
    }
    return { status: 'done', outcome: item.outcome === 'ignored' ? 'ignored' : 'applied' };
  }

  async finish(deliveryId: string, outcome: 'applied' | 'ignored'): Promise<void> {
    await this.table.update(keys.webhookDelivery(deliveryId), {
      expression: 'SET #status = :done, outcome = :outcome, finishedAt = :at REMOVE leaseUntil',
      names: { '#status': 'status' },
      values: { ':done': 'done', ':outcome': outcome, ':at': new Date(this.now()).toISOString() },
    });
  }

  /**
   * A signed payload the service cannot use: done, with the wrong fields' paths (never their values).
   * It is not retried: the same bytes would fail the same way.
   */
  async finishInvalid(deliveryId: string, fields: readonly string[]): Promise<void> {
    await this.table.update(keys.webhookDelivery(deliveryId), {
      expression:
        'SET #status = :done, outcome = :invalid, invalidFields = :fields, finishedAt = :at REMOVE leaseUntil',
      names: { '#status': 'status' },
      values: {
        ':done': 'done',
        ':invalid': 'invalid',
        ':fields': [...fields],
        ':at': new Date(this.now()).toISOString(),
      },
    });
  }

  /** Processing failed: a redelivery of the same id will be processed again. */
  async fail(deliveryId: string, reason: string): Promise<void> {
    await this.table.update(keys.webhookDelivery(deliveryId), {
      expression: 'SET #status = :failed, failure = :reason REMOVE leaseUntil',
      names: { '#status': 'status' },
      values: { ':failed': 'failed', ':reason': reason },
    });
  }
}
