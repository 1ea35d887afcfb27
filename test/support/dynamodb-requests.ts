import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sequentialRoundTrips } from '../../local/github-emulator/call-timing.js';

/** One DynamoDB request the service made, timed by the wall clock, with what DynamoDB says it cost. */
export type DynamoRequest = {
  /** DynamoDB's operation: `GetItem`, `TransactWriteItems`, … */
  operation: string;
  startMs: number;
  endMs: number;
  /** Capacity units from `ReturnConsumedCapacity: TOTAL` (summed over tables and indexes). */
  readUnits: number;
  writeUnits: number;
  /** A Query's or Scan's `Limit`: at most this many items asked for. */
  limit?: number;
  /** A Query's or Scan's `ScannedCount`: the items it read (what a read costs, matching or not). */
  scanned?: number;
};

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export const isRead = (request: DynamoRequest) => READS.has(request.operation);
export const isWrite = (request: DynamoRequest) => WRITES.has(request.operation);

type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

function units(consumed: unknown, operation: string): { readUnits: number; writeUnits: number } {
  const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Capacity[];
  let readUnits = 0;
  let writeUnits = 0;
  for (const entry of list) {
    // DynamoDB Local reports only CapacityUnits for most operations: attribute it by the operation.
    const read = entry.ReadCapacityUnits ?? (WRITES.has(operation) ? 0 : (entry.CapacityUnits ?? 0));
    const write = entry.WriteCapacityUnits ?? (WRITES.has(operation) ? (entry.CapacityUnits ?? 0) : 0);
    readUnits += read;
    writeUnits += write;
  }
  return { readUnits, writeUnits };
}

export type DynamoRecorder = {
  requests: DynamoRequest[];
  clear(): void;
  reads(): DynamoRequest[];
  writes(): DynamoRequest[];
  /** Longest chain of requests each starting after the previous ended (parallel ones count once). */
  sequentialRoundTrips(requests?: readonly DynamoRequest[]): number;
  totals(): { reads: number; writes: number; readUnits: number; writeUnits: number };
  stop(): void;
};

const NAME = 'test-dynamodb-request-recorder';

/**
 * Records every request a (document) client sends, asking DynamoDB for its consumed capacity. Install it
 * on the service's own client (`getServices().table.client`) so what is counted is what the handlers did.
 */
export function recordDynamoRequests(client: DynamoDBDocumentClient): DynamoRecorder {
  const requests: DynamoRequest[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const startMs = performance.now();
      const limit = typeof input.Limit === 'number' ? { limit: input.Limit } : {};
      try {
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: unknown; ScannedCount?: unknown };
        requests.push({
          operation,
          startMs,
          endMs: performance.now(),
          ...units(output.ConsumedCapacity, operation),
          ...limit,
          ...(typeof output.ScannedCount === 'number' ? { scanned: output.ScannedCount } : {}),
        });
        return result;
      } catch (error) {
        requests.push({ operation, startMs, endMs: performance.now(), readUnits: 0, writeUnits: 0 });
        throw error;
      }
    },
    { step: 'initialize', name: NAME, override: true },
  );
  return {
    requests,
    clear: () => void requests.splice(0),
    reads: () => requests.filter(isRead),
    writes: () => requests.filter(isWrite),
    sequentialRoundTrips: (subset = requests) => sequentialRoundTrips(subset),
    totals: () => ({
      reads: requests.filter(isRead).length,
      writes: requests.filter(isWrite).length,
      readUnits: requests.reduce((sum, request) => sum + request.readUnits, 0),
      writeUnits: requests.reduce((sum, request) => sum + request.writeUnits, 0),
    }),
    stop: () => void client.middlewareStack.remove(NAME),
  };
}
