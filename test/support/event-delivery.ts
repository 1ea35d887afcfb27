import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Table } from '../../functions/shared/store/table.js';
import { domainEvent, userActor, type DomainEvent } from '../../functions/shared/events/domain-event.js';
import { outboxOperation } from '../../functions/shared/store/event-outbox.js';
import { createEventDeliverer, type EventDeliverer } from '../../local/event-delivery.js';
import { startEventStreamReader, type EventStreamReader } from '../../local/event-stream.js';

/** Local event delivery wired as npm start wires it, with short backoffs (docs/events.md "Locally (`npm start`)"). */
export function startDelivery(options: {
  endpoint: string;
  tableName: string;
  checkpointFile: string;
  targetUrl?: string;
  secret: string;
  log?: string[];
}): { reader: EventStreamReader; deliverer: EventDeliverer; stop(): Promise<void> } {
  const log = (line: string) => options.log?.push(line);
  const stopping = new AbortController();
  const backoff = { baseMs: 50, maxMs: 400 };
  const reader = startEventStreamReader({ ...options, log, pollMs: 100, backoff });
  const deliverer = createEventDeliverer({
    targetUrl: options.targetUrl,
    secret: options.secret,
    region: 'us-east-1',
    signal: stopping.signal,
    log,
    backoff,
  });
  reader.onEvent(deliverer.deliver, 'target');
  return {
    reader,
    deliverer,
    stop: async () => {
      stopping.abort();
      await reader.stop();
    },
  };
}

/** Writes one event to the outbox, as a change's transaction does. */
export async function writeEvent(table: Table, accountId: string, name: string): Promise<DomainEvent> {
  const event = domainEvent(
    'account.created',
    { actor: userActor(7, 'bob'), correlationId: `req-${name}` },
    [accountId],
    { account: { id: accountId, name } },
  );
  await table.transactWrite([outboxOperation(event)]);
  return event;
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A target that answers `statuses` in turn (then forwards to `forwardTo`), recording what it got: the
 * stand-in for a consumer that is down, then recovers.
 */
export function flakyTarget(statuses: number[], forwardTo: string): { server: Server; answered: number[] } {
  const answered: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = statuses.shift();
      if (status !== undefined) {
        answered.push(status);
        return res.writeHead(status).end();
      }
      const forwarded = request(forwardTo, { method: 'POST', headers: { ...req.headers } }, (answer) => {
        answered.push(answer.statusCode ?? 0);
        res.writeHead(answer.statusCode ?? 502);
        answer.pipe(res);
      });
      forwarded.end(Buffer.concat(chunks));
    });
  });
  return { server, answered };
}
