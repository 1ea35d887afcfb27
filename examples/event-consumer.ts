/**
 * An example consumer of the service's domain events, as another service of the platform would write
 * one (docs/events.md "Consuming events"). It takes the events `npm start` posts to EVENTS_TARGET_URL:
 *
 *   EVENTS_SIGNING_SECRET=<the secret> npx tsx examples/event-consumer.ts      # listens on :4000
 *   EVENTS_TARGET_URL=http://localhost:4000/events npm start
 *
 * It checks the signature on the raw body (before parsing anything), drops an event it has seen (by
 * `id`, which is the event's `detail.eventId`: delivery is at least once), and prints the rest.
 * Standalone on purpose: node:http and node:crypto only.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';

export type ReceivedEvent = {
  id: string;
  'detail-type': string;
  source: string;
  time: string;
  detail: { eventId: string; platformAccountIds: string[] } & Record<string, unknown>;
};

export type EventConsumer = {
  server: Server;
  /** Events taken, each once, in the order they came. */
  events: ReceivedEvent[];
  counts: { accepted: number; duplicates: number; rejected: number };
};

/** `sha256=<hex>` of the raw body, compared in constant time. */
export function validSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createEventConsumer(options: {
  secret: string;
  onEvent?: (event: ReceivedEvent) => void;
  /** How many ids it remembers for deduplication (a real consumer keeps them in its store, with a TTL). */
  remember?: number;
}): EventConsumer {
  const seen = new Set<string>();
  const remember = options.remember ?? 10_000;
  const events: ReceivedEvent[] = [];
  const counts = { accepted: 0, duplicates: 0, rejected: 0 };

  const answer = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    if (req.method !== 'POST') return answer(res, 405, { error: 'method_not_allowed' });
    const signature = req.headers['x-event-signature-256'];
    if (!validSignature(body, typeof signature === 'string' ? signature : undefined, options.secret)) {
      counts.rejected++;
      return answer(res, 401, {
        error: 'invalid_signature',
        message: 'X-Event-Signature-256 does not match',
      });
    }
    const event = JSON.parse(body.toString('utf8')) as ReceivedEvent;
    if (seen.has(event.id)) {
      // Already handled: answer 2xx, or the sender would keep retrying it.
      counts.duplicates++;
      return answer(res, 200, { duplicate: true });
    }
    seen.add(event.id);
    if (seen.size > remember) seen.delete(seen.values().next().value as string);
    counts.accepted++;
    events.push(event);
    options.onEvent?.(event);
    return answer(res, 200, { ok: true });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  return { server, events, counts };
}

// Run directly (tsx examples/event-consumer.ts): listen and print.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const secret = process.env.EVENTS_SIGNING_SECRET;
  if (!secret) {
    process.stderr.write('Set EVENTS_SIGNING_SECRET (npm start prints where it keeps it).\n');
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 4000);
  const consumer = createEventConsumer({
    secret,
    onEvent: (event) =>
      process.stdout.write(
        `${event.time} ${event['detail-type']} ${event.id} accounts=${event.detail.platformAccountIds.join(',')}\n`,
      ),
  });
  consumer.server.listen(port, () =>
    process.stdout.write(`Event consumer on http://localhost:${port}/events\n`),
  );
}
