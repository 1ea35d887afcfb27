/**
 * Local delivery of domain events to `EVENTS_TARGET_URL` (docs/events.md "Locally (`npm start`)"): one event per
 * request, as the EventBridge envelope a rule's target gets, signed with `EVENTS_SIGNING_SECRET`, and
 * retried with backoff until the target takes it (a target that is down loses nothing and, as each
 * event waits for the one before it, keeps the stream's order).
 */
import { createHmac } from 'node:crypto';
import { EVENT_SOURCE, type DomainEvent } from '../functions/shared/events/domain-event.js';

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'X-Event-Signature-256';

/** What EventBridge hands a rule's target; `id` is the event's own `detail.eventId` (stable across replays). */
export type EventEnvelope = {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: DomainEvent['detail'];
};

/** The account id DynamoDB Local and the local stand-ins use. */
export const LOCAL_ACCOUNT = '000000000000';

export function eventEnvelope(event: DomainEvent, region: string): EventEnvelope {
  return {
    version: '0',
    id: event.detail.eventId,
    'detail-type': event.type,
    source: EVENT_SOURCE,
    account: LOCAL_ACCOUNT,
    // EventBridge's `time` has whole seconds.
    time: event.detail.occurredAt.replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [],
    detail: event.detail,
  };
}

export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export type DeliveryStats = {
  /** Events the target accepted (2xx). */
  delivered: number;
  /** Attempts after a failed one. */
  retried: number;
  /** Attempts that failed (an answer other than 2xx, a refused connection, a timeout). */
  failed: number;
  /** From the event's `occurredAt` to its delivery, for the last event delivered (ms). */
  lagMs: number;
};

export type Backoff = { baseMs: number; maxMs: number };

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, maxMs: 30_000 };

export type EventDeliverer = {
  /** Resolves once the target took the event (or at once without a target); rejects only when stopped. */
  deliver: (event: DomainEvent) => Promise<void>;
  readonly stats: DeliveryStats;
  readonly targetUrl: string | undefined;
};

/** Thrown by a wait that was cut short because delivery is stopping. */
export class DeliveryStopped extends Error {
  constructor() {
    super('event delivery stopped');
  }
}

/** Waits `ms`, or rejects with DeliveryStopped as soon as `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DeliveryStopped());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DeliveryStopped());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function backoffMs(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
}

export function createEventDeliverer(options: {
  targetUrl?: string;
  secret: string;
  region: string;
  signal: AbortSignal;
  log: (line: string) => void;
  backoff?: Backoff;
  /** Per attempt. */
  timeoutMs?: number;
}): EventDeliverer {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const stats: DeliveryStats = { delivered: 0, retried: 0, failed: 0, lagMs: 0 };
  const counts = () =>
    `[delivered=${stats.delivered} retried=${stats.retried} failed=${stats.failed} lag=${stats.lagMs}ms]`;

  const attempt = async (body: string): Promise<string | undefined> => {
    try {
      const response = await fetch(options.targetUrl ?? '', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signatureOf(body, options.secret),
        },
        body,
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      if (options.signal.aborted) throw new DeliveryStopped();
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return cause ?? (error as Error).message;
    }
  };

  const deliver = async (event: DomainEvent): Promise<void> => {
    const what = `event ${event.type} ${event.detail.eventId} accounts=${event.detail.platformAccountIds.join(',') || '-'}`;
    if (!options.targetUrl) {
      options.log(`${what} (no EVENTS_TARGET_URL)`);
      return;
    }
    const body = JSON.stringify(eventEnvelope(event, options.region));
    for (let n = 1; ; n++) {
      if (n > 1) stats.retried++;
      const failure = await attempt(body);
      if (failure === undefined) {
        stats.delivered++;
        stats.lagMs = Math.max(0, Date.now() - Date.parse(event.detail.occurredAt));
        options.log(`${what} → delivered${n > 1 ? ` (attempt ${n})` : ''} ${counts()}`);
        return;
      }
      stats.failed++;
      const wait = backoffMs(n, backoff);
      options.log(`${what} → ${failure}, retrying in ${wait} ms ${counts()}`);
      await pause(wait, options.signal);
    }
  };

  return { deliver, stats, targetUrl: options.targetUrl };
}
