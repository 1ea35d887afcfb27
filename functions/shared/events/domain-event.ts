import { randomUUID } from 'node:crypto';
import type { EventDetail, EventType } from './catalog.js';

/** The envelope fields every event's `detail` carries (catalog.ts); the rest is the type's own. */
type EnvelopeField = 'eventId' | 'platformAccountIds' | 'actor' | 'occurredAt' | 'correlationId';

/** Who did it: a platform user through the API, or GitHub (a webhook). */
export type EventActor = EventDetail<'account.created'>['actor'];

/** Where a change came from: who made it, and the request or delivery it came with. */
export type EventOrigin = {
  actor: EventActor;
  /** The request's `x-request-id` (API Gateway's request id), or GitHub's `X-GitHub-Delivery`. */
  correlationId: string;
};

/** One domain event, as the outbox stores it and EventBridge carries it (`detail-type`, `detail`). */
export type DomainEvent<T extends EventType = EventType> = { type: T; detail: EventDetail<T> };

/** The EventBridge `source` of every event the service publishes. */
export const EVENT_SOURCE = 'github-app-accounts';

/**
 * A new event of `type`: its own fields plus the envelope (a fresh `eventId`, which stays the event's
 * id through every delivery and replay, so consumers deduplicate by it). Only types: the catalog's
 * schemas (zod) stay out of the functions' bundles; tests validate what is emitted against them.
 */
export function domainEvent<T extends EventType>(
  type: T,
  origin: EventOrigin,
  platformAccountIds: readonly string[],
  fields: Omit<EventDetail<T>, EnvelopeField>,
  options: { occurredAt?: string; eventId?: string } = {},
): DomainEvent<T> {
  const detail = {
    eventId: options.eventId ?? randomUUID(),
    platformAccountIds: [...new Set(platformAccountIds)],
    actor: origin.actor,
    occurredAt: options.occurredAt ?? new Date().toISOString(),
    correlationId: origin.correlationId,
    ...fields,
  } as EventDetail<T>;
  return { type, detail };
}

/** A platform user acting through the API. */
export const userActor = (userId: number, login: string): EventActor => ({ type: 'user', userId, login });

/** GitHub reporting a change (a webhook); `login`: the GitHub user GitHub names as the sender, if any. */
export const githubActor = (login: string | null = null): EventActor => ({ type: 'github', login });
