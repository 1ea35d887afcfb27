import { ConditionFailedError } from '../errors.js';
import { keys } from './keys.js';
import type { Condition, Table, TransactOperation } from './table.js';

/**
 * A delivery being processed holds this long before a redelivery may take over: longer than the webhook
 * function may run (its Lambda timeout, functions/shared/service-routes.ts), so a lease never lapses under a live
 * invocation, and short enough that a delivery left `processing` by a crash or a failed write is taken
 * over by the next redelivery (docs/how-it-works.md "Webhooks").
 */
export const PROCESSING_LEASE_SECONDS = 30;
const PROCESSING_LEASE_MS = PROCESSING_LEASE_SECONDS * 1000;
/** GitHub redelivers by hand within days; keep delivery records a week. */
export const DELIVERY_RECORD_TTL_SECONDS = 7 * 24 * 3600;

/** A delivery record that is new, failed, or whose processing lease lapsed is free to take. */
const claimable = (now: number): Condition => ({
  expression:
    'attribute_not_exists(#status) OR #status = :failed OR (#status = :processing AND leaseUntil < :now)',
  names: { '#status': 'status' },
  values: { ':failed': 'failed', ':processing': 'processing', ':now': now },
});

export type DoneOutcome = 'applied' | 'ignored' | 'invalid';

/**
 * What a claim found: ours to process, another invocation's, or done before. A delivery done as
 * `invalid` (a signed payload the service could not use) carries the fields that were wrong, so a
 * redelivery of the same bytes gets the same answer without being looked at again.
 */
export type DeliveryStart =
  | { status: 'start' }
  | { status: 'in_progress'; retryAfterSeconds: number }
  | { status: 'done'; outcome: 'applied' | 'ignored' }
  | { status: 'invalid'; fields: string[] };

/**
 * Webhook deliveries by `X-GitHub-Delivery`: processing → done (applied, ignored or invalid), so
 * effects apply once; an operator finds every delivery, invalid ones included, under `DELIVERY#<id>`.
 */
export class DeliveryStore {
  constructor(
    private readonly table: Table,
    // Read at each call, not kept: one store serves the container (services.ts) while time passes.
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Claims a delivery. A new one, one that failed, or one whose processing lease lapsed is ours to
   * process (`start`); one already done is `done`; one another invocation is processing (or left
   * `processing` when its holder could not record the outcome) is `in_progress` until the lease lapses.
   * A record the redelivery job wrote before the service ever saw the delivery has no status: new.
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
            ':ttl': Math.floor(now / 1000) + DELIVERY_RECORD_TTL_SECONDS,
          },
        },
        claimable(now),
      );
      return { status: 'start' };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    return this.state(deliveryId);
  }

  /**
   * The delivery taken and recorded as done in one conditional write, without a lease: for an outcome
   * known before any effect (ignored, invalid), or written in the same transaction as its one-write
   * effect (`transactWrite([doneWrite(…), …effect])`), so effect and record stand or fall together.
   * Fails (ConditionFailedError) when the delivery is done or held: then `state` says which.
   */
  doneWrite(
    deliveryId: string,
    event: string,
    action: string | undefined,
    outcome: DoneOutcome,
    invalidFields: readonly string[] = [],
  ): Extract<TransactOperation, { update: unknown }> {
    const now = this.now();
    const at = new Date(now).toISOString();
    const condition = claimable(now);
    return {
      update: keys.webhookDelivery(deliveryId),
      expression: `SET #status = :done, #event = :event, #action = :action, outcome = :outcome, attempts = if_not_exists(attempts, :zero) + :one, startedAt = :at, finishedAt = :at, expiresAt = :ttl${outcome === 'invalid' ? ', invalidFields = :fields' : ''} REMOVE leaseUntil`,
      names: { '#event': 'event', '#action': 'action' },
      values: {
        ':done': 'done',
        ':event': event,
        ':action': action ?? null,
        ':outcome': outcome,
        ':zero': 0,
        ':one': 1,
        ':at': at,
        ':ttl': Math.floor(now / 1000) + DELIVERY_RECORD_TTL_SECONDS,
        ...(outcome === 'invalid' ? { ':fields': [...invalidFields] } : {}),
      },
      condition,
    };
  }

  /** `doneWrite` alone (one write request); false when the delivery was done or held already. */
  async recordDone(...args: Parameters<DeliveryStore['doneWrite']>): Promise<boolean> {
    const { update, expression, names, values, condition } = this.doneWrite(...args);
    try {
      await this.table.update(update, { expression, names, values }, condition);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** What the record says of a delivery that could not be taken: held (in progress) or done. */
  async state(deliveryId: string): Promise<DeliveryStart> {
    const now = this.now();
    const item = await this.table.get(keys.webhookDelivery(deliveryId));
    if (item?.status !== 'done') {
      const leaseUntil = typeof item?.leaseUntil === 'number' ? item.leaseUntil : now + PROCESSING_LEASE_MS;
      return { status: 'in_progress', retryAfterSeconds: Math.max(1, Math.ceil((leaseUntil - now) / 1000)) };
    }
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

  /** Processing failed: the lease is released, so a redelivery of the same id is processed at once. */
  async fail(deliveryId: string, reason: string): Promise<void> {
    await this.table.update(keys.webhookDelivery(deliveryId), {
      expression: 'SET #status = :failed, failure = :reason REMOVE leaseUntil',
      names: { '#status': 'status' },
      values: { ':failed': 'failed', ':reason': reason },
    });
  }
}
