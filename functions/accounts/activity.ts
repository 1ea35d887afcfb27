import { BadRequestError } from '../shared/errors.js';
import type { DomainEvent } from '../shared/events/domain-event.js';
import { EVENT_TYPE_FAMILIES, isEventType } from '../shared/events/event-types.js';
import type { ActivityStore, ActivityTypeFilter } from '../shared/store/activity-store.js';

/** `GET /accounts/{accountId}/events`: the account's activity log, newest first (docs/events.md "Activity log"). */
export const ACTIVITY_DEFAULT_LIMIT = 25;
export const ACTIVITY_MAX_LIMIT = 100;

export type ActivityQuery = {
  limit: number;
  /** As given: one type (`member.joined`) or a family (`member.`). */
  type: string | undefined;
  filter: ActivityTypeFilter | undefined;
  /** The sort key the page continues below (from the cursor). */
  after: string | undefined;
};

const badQuery = (message: string) => new BadRequestError('invalid_query', message);
const badCursor = () =>
  new BadRequestError('invalid_cursor', 'cursor is not one this list returned. Start again without it.');

/** `AT#<occurredAt>#<eventId>`: what a cursor may point below (keys.activity). */
const POSITION = /^AT#\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f-]{36}$/;

export function parseActivityQuery(query: Readonly<Record<string, string | undefined>>): ActivityQuery {
  let limit = ACTIVITY_DEFAULT_LIMIT;
  if (query.limit !== undefined) {
    if (
      !/^[0-9]{1,3}$/.test(query.limit) ||
      Number(query.limit) < 1 ||
      Number(query.limit) > ACTIVITY_MAX_LIMIT
    )
      throw badQuery(`limit must be an integer from 1 to ${ACTIVITY_MAX_LIMIT}.`);
    limit = Number(query.limit);
  }
  const type = query.type;
  let filter: ActivityTypeFilter | undefined;
  if (type !== undefined) {
    if (isEventType(type)) filter = { type };
    else if (EVENT_TYPE_FAMILIES.includes(type)) filter = { family: type };
    else
      throw badQuery(
        `type must be an event type (docs/events.md) or a family of them: ${EVENT_TYPE_FAMILIES.join(', ')}.`,
      );
  }
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, type);
  return { limit, type, filter, after };
}

/** Opaque to clients: the position, and the filter it was given for (another filter's cursor is refused). */
export function encodeCursor(after: string, type: string | undefined): string {
  return Buffer.from(JSON.stringify(type === undefined ? { a: after } : { a: after, t: type })).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string, type: string | undefined): string {
  if (cursor.length > 400 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const { a, t } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof a !== 'string' || !POSITION.test(a) || t !== type) throw badCursor();
  return a;
}

/** An event as the log answers it: its detail, and its type. */
export type ActivityEvent = { type: string } & DomainEvent['detail'];

export async function listActivity(
  store: ActivityStore,
  accountId: string,
  query: ActivityQuery,
): Promise<{ events: ActivityEvent[]; nextCursor?: string }> {
  const page = await store.page(accountId, { limit: query.limit, after: query.after, filter: query.filter });
  return {
    // An event may name other teams too (a push on a shared installation): their ids are theirs to see.
    events: page.events.map((event) => ({
      ...event.detail,
      platformAccountIds: [accountId],
      type: event.type,
    })),
    ...(page.after === undefined ? {} : { nextCursor: encodeCursor(page.after, query.type) }),
  };
}
