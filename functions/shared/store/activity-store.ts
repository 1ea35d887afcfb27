import type { DomainEvent } from '../events/domain-event.js';
import { keys } from './keys.js';
import type { Item, Table } from './table.js';

/**
 * Each account's activity log (docs/events.md "Activity log"): one item per event and account it names,
 * `ACTIVITY#<accountId>` / `AT#<occurredAt>#<eventId>`, written from the outbox's stream by the
 * activity-log function (an event may name more accounts than a transaction holds) and read newest
 * first by `GET /accounts/{accountId}/events`. A replay of the stream rewrites the same items.
 */

/** How a page may be narrowed: one type, or a family (`member.`). */
export type ActivityTypeFilter = { type: string } | { family: string };

export type ActivityPage = {
  events: DomainEvent[];
  /** Where the next page starts (the sort key it continues below), when there may be more. */
  after: string | undefined;
};

/**
 * What one page may cost: with a type filter DynamoDB reads (and bills) every item it looks at, so a
 * page looks at no more than this many items whatever the account's history; if the page is not full
 * by then it ends early, with a cursor that continues where the reading stopped.
 */
export const ACTIVITY_FILTER_READ_BUDGET = 300;

const DAY_SECONDS = 24 * 3600;

export class ActivityStore {
  constructor(private readonly table: Table) {}

  /**
   * The items an event adds to the logs of the accounts it names. Kept `retentionDays` after the
   * event occurred (TTL), so a replay writes the very same item.
   */
  itemsOf(event: DomainEvent, retentionDays: number): Item[] {
    const { eventId, occurredAt, platformAccountIds } = event.detail;
    const expiresAt = Math.floor(Date.parse(occurredAt) / 1000) + retentionDays * DAY_SECONDS;
    return platformAccountIds.map((accountId) => ({
      ...keys.activity(accountId, occurredAt, eventId),
      detailType: event.type,
      detail: event.detail,
      eventId,
      expiresAt,
    }));
  }

  /**
   * Writes the items of `events` (BatchWriteItem, unprocessed items retried). Never throws for a
   * failed write: answers the ids of events some item of which may be unwritten, for the caller to
   * retry (every write is idempotent), and the first error met.
   */
  async record(
    events: readonly DomainEvent[],
    retentionDays: number,
  ): Promise<{ failed: Set<string>; error: unknown }> {
    const items = events.flatMap((event) => this.itemsOf(event, retentionDays));
    const failed = new Set<string>();
    let error: unknown;
    try {
      await this.table.batchPut(items, {
        onChunkFailed: (chunk) => {
          for (const item of chunk) failed.add(String(item.eventId));
        },
      });
    } catch (caught) {
      // Each failed chunk is in `failed`.
      error = caught;
    }
    return { failed, error };
  }

  /**
   * A page of the account's log, newest first, starting below `after` (a sort key a previous page
   * answered). Without a filter one query reads `limit + 1` items; with one, at most
   * ACTIVITY_FILTER_READ_BUDGET items are read (a page may then hold fewer than `limit` events and
   * still have a cursor).
   */
  async page(
    accountId: string,
    options: { limit: number; after?: string | undefined; filter?: ActivityTypeFilter | undefined },
  ): Promise<ActivityPage> {
    // The account's partition (the sort key's parts are the items').
    const pk = keys.activity(accountId, '', '').PK;
    const filter = options.filter && filterCondition(options.filter);
    const found: Item[] = [];
    let after = options.after;
    let budget = filter ? ACTIVITY_FILTER_READ_BUDGET : options.limit + 1;
    let exhausted = false;
    while (found.length <= options.limit && budget > 0) {
      const page = await this.table.queryPage({
        pk,
        skPrefix: '',
        afterSk: after,
        limit: budget,
        descending: true,
        // Eventually consistent: a log lags its events anyway (it is written from the stream).
        consistent: false,
        ...(filter ? { filter } : {}),
      });
      found.push(...page.items);
      budget -= Math.max(page.scanned, 1);
      after = page.lastSk;
      if (after === undefined) {
        exhausted = true;
        break;
      }
    }
    if (found.length > options.limit) {
      const shown = found.slice(0, options.limit);
      return { events: shown.map(eventOf), after: shown.at(-1)?.SK };
    }
    // Every item read matched or was filtered out: continue below the last one read, if any is left.
    return { events: found.map(eventOf), after: exhausted ? undefined : after };
  }
}

function filterCondition(filter: ActivityTypeFilter) {
  return 'type' in filter
    ? { expression: '#type = :type', names: { '#type': 'detailType' }, values: { ':type': filter.type } }
    : {
        expression: 'begins_with(#type, :family)',
        names: { '#type': 'detailType' },
        values: { ':family': filter.family },
      };
}

function eventOf(item: Item): DomainEvent {
  return { type: item.detailType, detail: item.detail } as DomainEvent;
}
