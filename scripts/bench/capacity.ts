import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sequentialRoundTrips, type TimedCall } from '../../local/github-emulator/call-timing.js';

/** What DynamoDB reports a request consumed (`ReturnConsumedCapacity: 'TOTAL'`), one entry or a list. */
type Consumed = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

export type Capacity = { read: number; write: number };

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

/**
 * The read and write units one answer reports, transactions and batches included (their
 * ConsumedCapacity is a list, one per table). DynamoDB gives the split when it has it; otherwise the
 * total counts as reads or writes by the kind of command.
 */
export function consumedCapacity(commandName: string, output: { ConsumedCapacity?: unknown }): Capacity {
  const raw = output.ConsumedCapacity;
  const entries = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Consumed[];
  const total: Capacity = { read: 0, write: 0 };
  const isWrite = WRITES.has(commandName);
  for (const entry of entries) {
    if (entry.ReadCapacityUnits !== undefined || entry.WriteCapacityUnits !== undefined) {
      total.read += entry.ReadCapacityUnits ?? 0;
      total.write += entry.WriteCapacityUnits ?? 0;
    } else if (isWrite) total.write += entry.CapacityUnits ?? 0;
    else total.read += entry.CapacityUnits ?? 0;
  }
  return total;
}

export type CapacityReading = Capacity & {
  /** DynamoDB requests sent (reads + writes). */
  requests: number;
  writeRequests: number;
  /** The longest chain of requests each sent after the previous one answered. */
  roundTrips: number;
  /** The same, counting reads only, and writes only. */
  readRoundTrips: number;
  writeRoundTrips: number;
};

/**
 * Meters a document client from the outside: a middleware asks every command for its consumed capacity
 * and times it, so the service's code stays as it ships. `take()` returns what was used since the last
 * call and starts over.
 */
export function meterCapacity(client: DynamoDBDocumentClient): { take(): CapacityReading } {
  let used: Capacity = { read: 0, write: 0 };
  let calls: Array<TimedCall & { write: boolean }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const command = context.commandName ?? '';
      const startMs = performance.now();
      // A refused request (a failed condition) still counts as a round trip; DynamoDB reports no units for it.
      const result = await next(args).finally(() =>
        calls.push({ startMs, endMs: performance.now(), write: WRITES.has(command) }),
      );
      const units = consumedCapacity(command, result.output as { ConsumedCapacity?: unknown });
      used = { read: used.read + units.read, write: used.write + units.write };
      return result;
    },
    { step: 'initialize', name: 'benchConsumedCapacity', override: true },
  );
  return {
    take() {
      const writes = calls.filter((call) => call.write);
      const reading: CapacityReading = {
        ...used,
        requests: calls.length,
        writeRequests: writes.length,
        roundTrips: sequentialRoundTrips(calls),
        readRoundTrips: sequentialRoundTrips(calls.filter((call) => !call.write)),
        writeRoundTrips: sequentialRoundTrips(writes),
      };
      used = { read: 0, write: 0 };
      calls = [];
      return reading;
    },
  };
}
