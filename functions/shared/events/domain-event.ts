import { createHash, randomUUID } from 'node:crypto';
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

/**
 * An event id derived from what the event reports (`parts`), for a fact the table holds no change of (a
 * commit made at GitHub): every attempt to report it names the same outbox item, so it is written once.
 * A UUID of version 8 (RFC 9562's custom layout): the first 122 bits of a SHA-256.
 */
export function stableEventId(type: string, ...parts: ReadonlyArray<string | number>): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([type, ...parts]))
    .digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
