import { ConditionFailedError } from '../errors.js';
import { DELIVERY_RECORD_TTL_SECONDS } from './delivery-store.js';
import { keys } from './keys.js';
import type { Table } from './table.js';

/** What the service knows of a delivery GitHub recorded as failed. */
export type DeliveryState = {
  /** Done (applied, ignored or invalid): processed since, nothing to redeliver. */
  processed: boolean;
  /** How many times the redelivery job has asked GitHub to redeliver it. */
  redeliveries: number;
};

/** What one run of the redelivery job did, kept on the run record for operators. */
export type RedeliveryRunSummary = {
  startedAt: string;
  /** Attempts read from GitHub, pages read, and whether the run read and handled all it had to. */
  scanned: number;
  pages: number;
  complete: boolean;
  /** GUIDs whose latest attempt failed and that had no successful attempt. */
  failed: number;
  redelivered: string[];
  /** Failed at GitHub but processed by the service since. */
  processed: number;
  /** Left alone this run: another run holds them (claimed, or redelivered and not yet listed back). */
  skipped: number;
  /** Left for the next run: this run's redelivery budget was spent. */
  deferred: number;
  /** Redelivered `maxPerDelivery` times without success: left to an operator (logged as errors). */
  givenUp: number;
  errors: number;
};

/**
 * The redelivery job's records, under `DELIVERY#` like the deliveries themselves: on each delivery,
 * what was redelivered and when (`redeliveredAttemptId`, `redeliveredAt`, `redeliveries`); and one run
 * record with the checkpoint (how far back the next run reads) and the last run's summary.
 */
export class RedeliveryStore {
  constructor(private readonly table: Table) {}

  async state(guid: string): Promise<DeliveryState> {
    const item = await this.table.get(keys.webhookDelivery(guid));
    return {
      processed: item?.status === 'done',
      redeliveries: typeof item?.redeliveries === 'number' ? item.redeliveries : 0,
    };
  }

  /**
   * Records that `attemptId` (GitHub's id of the failed attempt) is about to be redelivered by run
   * `runId`, held for `holdMs` (the one GitHub request that sends it, with room to spare). False when
   * the delivery was processed meanwhile, or another run holds this same attempt: so overlapping runs
   * never redeliver one failed attempt twice. The same run may claim again: the SDK retries a write
   * whose answer was lost, and that retry must not find the claim taken by someone else.
   */
  async claim(
    guid: string,
    attemptId: number,
    runId: string,
    nowMs: number,
    holdMs: number,
  ): Promise<boolean> {
    try {
      await this.table.update(
        keys.webhookDelivery(guid),
        {
          expression:
            'SET redeliveredAttemptId = :id, redeliveryRun = :run, redeliveredAt = :at, redeliveryHeldUntil = :until, redeliveries = if_not_exists(redeliveries, :zero) + :one, expiresAt = if_not_exists(expiresAt, :ttl)',
          values: {
            ':run': runId,
            ':at': new Date(nowMs).toISOString(),
            ':until': nowMs + holdMs,
            ':zero': 0,
            ':one': 1,
            ':ttl': Math.floor(nowMs / 1000) + DELIVERY_RECORD_TTL_SECONDS,
          },
        },
        {
          expression:
            '(attribute_not_exists(#status) OR #status <> :done) AND (attribute_not_exists(redeliveredAttemptId) OR redeliveredAttemptId <> :id OR redeliveryHeldUntil < :now OR redeliveryRun = :run)',
          names: { '#status': 'status' },
          values: { ':done': 'done', ':id': attemptId, ':now': nowMs, ':run': runId },
        },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /**
   * GitHub accepted the redelivery: the claim now holds until `untilMs`, long enough for GitHub to list
   * the new attempt (until then the failed attempt still looks newest). Best effort: if this write is
   * lost, the short claim lapses and a later run may ask once more, which the webhook answers as a
   * duplicate.
   */
  async markSent(guid: string, attemptId: number, runId: string, untilMs: number): Promise<void> {
    try {
      await this.table.update(
        keys.webhookDelivery(guid),
        { expression: 'SET redeliveryHeldUntil = :until', values: { ':until': untilMs } },
        {
          expression: 'redeliveredAttemptId = :id AND redeliveryRun = :run',
          values: { ':id': attemptId, ':run': runId },
        },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** GitHub refused or did not answer: the claim is withdrawn so the next run tries again at once. */
  async release(guid: string, attemptId: number, runId: string): Promise<void> {
    try {
      await this.table.update(
        keys.webhookDelivery(guid),
        {
          expression:
            'REMOVE redeliveredAttemptId, redeliveryHeldUntil SET redeliveries = redeliveries - :one',
          values: { ':one': 1 },
        },
        {
          expression: 'redeliveredAttemptId = :id AND redeliveryRun = :run',
          values: { ':id': attemptId, ':run': runId },
        },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** GitHub's `delivered_at` from which the next run reads (undefined before the first complete run). */
  async checkpoint(): Promise<string | undefined> {
    const item = await this.table.get(keys.redeliveryRun());
    return typeof item?.since === 'string' ? item.since : undefined;
  }

  /** Keeps the run's summary; moves the checkpoint when given one (never past an unresolved delivery). */
  async saveRun(summary: RedeliveryRunSummary, since: string | undefined): Promise<void> {
    await this.table.update(keys.redeliveryRun(), {
      expression: since === undefined ? 'SET lastRun = :run' : 'SET lastRun = :run, since = :since',
      values: { ':run': summary, ...(since === undefined ? {} : { ':since': since }) },
    });
  }
}
