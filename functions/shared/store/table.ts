import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.js';
import { ConditionFailedError, ServiceUnavailableError } from '../errors.js';
import { GSI1, TABLE_DEFINITION } from './table-definition.js';
import type { ItemKey } from './keys.js';
import { count, METRIC } from '../metrics.js';
import { tracer } from '../tracer.js';

export type Item = Record<string, unknown> & { PK: string; SK: string };

export type Condition = {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
};

/** Write only when no item has this key. */
export const ITEM_ABSENT: Condition = { expression: 'attribute_not_exists(PK)' };

export type TableOptions = {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Epoch seconds; injectable so tests can move time. */
  now?: () => number;
};

const TTL = TABLE_DEFINITION.timeToLiveAttribute;

function isConditionalFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ConditionalCheckFailedException') return true;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
  return (
    error.name === 'TransactionCanceledException' &&
    !!reasons?.some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

/** Cancellation reasons that say "busy", not "no": the same transaction may succeed a moment later. */
const TRANSIENT_REASONS = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
  'TransactionConflict',
]);
const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
]);
/** No answer at all: refused, reset, unreachable (Node's codes); timed out (the SDK's TimeoutError). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether DynamoDB was throttling, failing on its side or unreachable once the SDK's own retries were
 * spent: the caller may simply try again. (Validation errors, a missing table or denied access are
 * our bugs or an operator's, and stay 500s.)
 */
export function isDynamoUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, message, $fault, CancellationReasons } = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    $fault?: unknown;
    CancellationReasons?: Array<{ Code?: string }>;
  };
  if (typeof name === 'string' && (THROTTLED.has(name) || name === 'TimeoutError')) return true;
  if (name === 'TransactionCanceledException')
    return (CancellationReasons ?? []).some((reason) => TRANSIENT_REASONS.has(reason.Code ?? ''));
  if ($fault === 'server') return true;
  if (NETWORK_CODES.has(String(code))) return true;
  // Node's network errors from another realm (a VM context) reach us only as the SDK's wrapper message.
  return typeof message === 'string' && NETWORK_MESSAGE.test(message);
}

const NETWORK_MESSAGE = new RegExp(
  `^AWS SDK error wrapper for .*(TimeoutError|socket hang up|${[...NETWORK_CODES].join('|')})`,
);

/** How long a caller is asked to wait after DynamoDB trouble: a throttle or blip passes in seconds. */
const RETRY_AFTER_SECONDS = 2;

function failedOperations(error: unknown): number[] {
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []));
}

/**
 * The single-table adapter: generic, expiry-aware reads and conditional writes. DynamoDB's TTL deletes
 * lazily (up to days late), so every read here treats an item past `expiresAt` as absent.
 * SDK condition failures become ConditionFailedError and throttling or unavailability (after the
 * client's bounded retries) ServiceUnavailableError (503), so services never see SDK error names.
 */
export class Table {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  private readonly now: () => number;

  constructor(options: TableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  isLive(item: Record<string, unknown>): boolean {
    const expiresAt = item[TTL];
    return typeof expiresAt !== 'number' || expiresAt > this.now();
  }

  async get<T extends Item = Item>(
    key: ItemKey,
    options: { consistent?: boolean } = {},
  ): Promise<T | undefined> {
    const { Item: item } = await this.guard(() =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: primaryKey(key),
          ConsistentRead: options.consistent ?? true,
        }),
      ),
    );
    return item && this.isLive(item) ? (item as T) : undefined;
  }

  /**
   * Many items by key in one request a hundred (BatchGetItem, strongly consistent), retrying what
   * DynamoDB leaves unprocessed; live items only, in no particular order.
   */
  async batchGet<T extends Item = Item>(itemKeys: readonly ItemKey[]): Promise<T[]> {
    const out: T[] = [];
    const chunks: ItemKey[][] = [];
    for (let index = 0; index < itemKeys.length; index += 100)
      chunks.push(itemKeys.slice(index, index + 100));
    await Promise.all(
      chunks.map(async (chunk) => {
        let keys: Record<string, unknown>[] = chunk.map(primaryKey);
        for (let attempt = 0; keys.length > 0; attempt++) {
          if (attempt > 8) throw new Error('DynamoDB kept batch reads unprocessed');
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
          const { Responses, UnprocessedKeys } = await this.guard(() =>
            this.client.send(
              new BatchGetCommand({
                RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } },
              }),
            ),
          );
          for (const item of Responses?.[this.tableName] ?? []) if (this.isLive(item)) out.push(item as T);
          keys = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        }
      }),
    );
    return out;
  }

  async put(item: Item, condition?: Condition): Promise<void> {
    await this.guard(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...conditionParams(condition),
        }),
      ),
    );
  }

  /** Deletes and returns what was there (undefined if nothing, or only an expired leftover). */
  async delete<T extends Item = Item>(key: ItemKey, condition?: Condition): Promise<T | undefined> {
    const { Attributes: old } = await this.guard(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: primaryKey(key),
          ReturnValues: 'ALL_OLD',
          ...conditionParams(condition),
        }),
      ),
    );
    return old && this.isLive(old) ? (old as T) : undefined;
  }

  /** A raw update for counters, leases and versioned writes; returns the item after the update. */
  async update<T extends Item = Item>(
    key: ItemKey,
    update: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
    condition?: Condition,
  ): Promise<T> {
    const names = { ...update.names, ...condition?.names };
    const values = { ...update.values, ...condition?.values };
    const { Attributes } = await this.guard(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: primaryKey(key),
          UpdateExpression: update.expression,
          ...(condition ? { ConditionExpression: condition.expression } : {}),
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return Attributes as T;
  }

  /**
   * Every live item of a partition whose sort key starts with `skPrefix` (`''`: all), across all pages;
   * `consistent`: a strongly consistent read (sees every write that succeeded before it).
   */
  async queryPartition<T extends Item = Item>(
    pk: string,
    skPrefix: string,
    options: { consistent?: boolean } = {},
  ): Promise<T[]> {
    return this.queryAll<T>({
      ...(options.consistent ? { ConsistentRead: true } : {}),
      ...keyCondition(TABLE_DEFINITION.partitionKey, TABLE_DEFINITION.sortKey, pk, skPrefix),
    });
  }

  /**
   * One page of a partition's items whose sort key starts with `skPrefix`, in sort-key order, starting
   * strictly after `afterSk` (which need not exist: DynamoDB resumes after any key), at most `limit`
   * items read. `lastSk` is set when DynamoDB stopped before the end of the range.
   */
  async queryPage<T extends Item = Item>(options: {
    pk: string;
    skPrefix: string;
    afterSk?: string | undefined;
    limit: number;
    consistent?: boolean;
    /** Descending sort-key order (`afterSk` then means "below"). */
    descending?: boolean;
    /** Applied after the read: `limit` counts the items read, matching or not (`scanned`). */
    filter?: Condition;
  }): Promise<{ items: T[]; lastSk: string | undefined; scanned: number }> {
    const key = keyCondition(
      TABLE_DEFINITION.partitionKey,
      TABLE_DEFINITION.sortKey,
      options.pk,
      options.skPrefix,
    );
    const page = await this.guard(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...key,
          ...(options.filter
            ? {
                FilterExpression: options.filter.expression,
                ExpressionAttributeNames: { ...key.ExpressionAttributeNames, ...options.filter.names },
                ExpressionAttributeValues: { ...key.ExpressionAttributeValues, ...options.filter.values },
              }
            : {}),
          Limit: options.limit,
          ConsistentRead: options.consistent ?? true,
          ...(options.descending ? { ScanIndexForward: false } : {}),
          ...(options.afterSk === undefined
            ? {}
            : { ExclusiveStartKey: { PK: options.pk, SK: options.afterSk } }),
        }),
      ),
    );
    const items = (page.Items ?? []).filter((item) => this.isLive(item)) as T[];
    const lastSk: unknown = page.LastEvaluatedKey?.SK;
    return {
      items,
      lastSk: typeof lastSk === 'string' ? lastSk : undefined,
      scanned: page.ScannedCount ?? 0,
    };
  }

  /** The reverse lookup: every live item whose GSI1PK is `gsiPk` and GSI1SK starts with `skPrefix`. */
  async queryGsi1<T extends Item = Item>(gsiPk: string, skPrefix: string): Promise<T[]> {
    return this.queryAll<T>({
      IndexName: GSI1.indexName,
      ...keyCondition(GSI1.partitionKey, GSI1.sortKey, gsiPk, skPrefix),
    });
  }

  /** All-or-nothing writes (at most 100 operations, DynamoDB's limit); any failed condition fails all. */
  async transactWrite(operations: readonly TransactOperation[]): Promise<void> {
    const TableName = this.tableName;
    const TransactItems: TransactItem[] = operations.map((op) => {
      if ('put' in op) return { Put: { TableName, Item: op.put, ...conditionParams(op.condition) } };
      if ('delete' in op)
        return { Delete: { TableName, Key: primaryKey(op.delete), ...conditionParams(op.condition) } };
      if ('update' in op) {
        const names = { ...op.names, ...op.condition?.names };
        const values = { ...op.values, ...op.condition?.values };
        return {
          Update: {
            TableName,
            Key: primaryKey(op.update),
            UpdateExpression: op.expression,
            ...(op.condition ? { ConditionExpression: op.condition.expression } : {}),
            ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
            ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          },
        };
      }
      return {
        ConditionCheck: {
          TableName,
          Key: primaryKey(op.check),
          ConditionExpression: op.condition.expression,
          ...(op.condition.names ? { ExpressionAttributeNames: op.condition.names } : {}),
          ...(op.condition.values ? { ExpressionAttributeValues: op.condition.values } : {}),
        },
      };
    });
    await this.guard(() => this.client.send(new TransactWriteCommand({ TransactItems })));
  }

  /**
   * Puts many items with BatchWriteItem (25 a request, a few requests at once), retrying what DynamoDB
   * leaves unprocessed. Not conditional: for writes a replay may repeat (same key, same item).
   * `onChunkFailed` hears each chunk that failed, so a caller can tell which items may be unwritten.
   */
  async batchPut(
    items: readonly Item[],
    options: { concurrency?: number; onChunkFailed?: (chunk: readonly Item[], error: unknown) => void } = {},
  ): Promise<void> {
    const chunks: Item[][] = [];
    for (let index = 0; index < items.length; index += 25) chunks.push(items.slice(index, index + 25));
    const run = async (chunk: Item[]) => {
      let requests = chunk.map((item) => ({ PutRequest: { Item: item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept batch writes unprocessed');
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const { UnprocessedItems } = await this.guard(() =>
          this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } })),
        );
        requests = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    };
    const concurrency = options.concurrency ?? 4;
    const failures: unknown[] = [];
    for (let index = 0; index < chunks.length; index += concurrency) {
      await Promise.all(
        chunks.slice(index, index + concurrency).map((chunk) =>
          run(chunk).catch((error: unknown) => {
            failures.push(error);
            options.onChunkFailed?.(chunk, error);
          }),
        ),
      );
    }
    if (failures.length > 0) throw failures[0];
  }

  /**
   * Deletes many items with BatchWriteItem (25 a request, a few requests at once), retrying what
   * DynamoDB leaves unprocessed. Not conditional: for fan-out clean-ups such as an uninstall.
   */
  async batchDelete(itemKeys: readonly ItemKey[], concurrency = 4): Promise<void> {
    const chunks: ItemKey[][] = [];
    for (let index = 0; index < itemKeys.length; index += 25) chunks.push(itemKeys.slice(index, index + 25));
    const run = async (chunk: ItemKey[]) => {
      let requests = chunk.map((key) => ({ DeleteRequest: { Key: primaryKey(key) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept batch deletes unprocessed');
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const { UnprocessedItems } = await this.guard(() =>
          this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } })),
        );
        requests = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    };
    for (let index = 0; index < chunks.length; index += concurrency) {
      await Promise.all(chunks.slice(index, index + concurrency).map(run));
    }
  }

  private async queryAll<T extends Item>(
    params: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>,
  ): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.guard(() =>
        this.client.send(
          new QueryCommand({ ...params, TableName: this.tableName, ExclusiveStartKey: startKey }),
        ),
      );
      for (const item of page.Items ?? []) if (this.isLive(item)) items.push(item as T);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private async guard<R>(operation: () => Promise<R>): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      if (isConditionalFailure(error)) {
        // Most are expected (idempotency, leases); a rising count means contention worth a look.
        count(METRIC.conditionalCheckConflicts);
        throw new ConditionFailedError(undefined, {
          cause: error,
          failedOperations: failedOperations(error),
        });
      }
      if (isDynamoUnavailable(error))
        throw new ServiceUnavailableError({ retryAfterSeconds: RETRY_AFTER_SECONDS, cause: error });
      throw error;
    }
  }
}

/** Key builders may carry GSI attributes too; DynamoDB wants exactly PK and SK as the key. */
function primaryKey(key: ItemKey): ItemKey {
  return { PK: key.PK, SK: key.SK };
}

function conditionParams(condition: Condition | undefined) {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
  };
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export type TransactOperation =
  | { put: Item; condition?: Condition }
  | { delete: ItemKey; condition?: Condition }
  | {
      update: ItemKey;
      expression: string;
      names?: Record<string, string>;
      values?: Record<string, unknown>;
      condition?: Condition;
    }
  | { check: ItemKey; condition: Condition };

/**
 * How long DynamoDB may take: a request that gets no connection within 1 s or no answer within 1 s is
 * abandoned and retried, 3 attempts in all (the SDK's standard backoff between them), so a frozen or
 * unreachable DynamoDB costs a request about 3.5 s before it answers 503, well inside API Gateway's
 * 30 s and GitHub's 10 s for webhooks. DynamoDB answers single-item requests in milliseconds.
 */
export const DYNAMODB_CLIENT_LIMITS = {
  maxAttempts: 3,
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 1000,
} as const;

export type DynamoClientLimits = {
  maxAttempts: number;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
};

/**
 * The document client, created once per container and shared by every store. `limits` override
 * DYNAMODB_CLIENT_LIMITS one by one (settings for tests and slow local machines: config.ts).
 */
export function createDocumentClient(
  options: { endpoint?: string | undefined; limits?: Partial<DynamoClientLimits> } = {},
): DynamoDBDocumentClient {
  const limits = { ...DYNAMODB_CLIENT_LIMITS, ...options.limits };
  const client = new DynamoDBClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: limits.maxAttempts,
    // The SDK's own NodeHttpHandler, configured by its options (no timeouts at all by default).
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
  // Each DynamoDB call a subsegment of the invocation's trace (a no-op outside Lambda).
  tracer.captureAWSv3Client(client);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

let table: Table | undefined;

export function getTable(): Table {
  if (table) return table;
  const config = getConfig();
  table = new Table({
    client: createDocumentClient({ endpoint: config.dynamodbEndpoint, limits: config.dynamodbLimits }),
    tableName: config.tableName,
  });
  return table;
}

/**
 * Above every sort key that starts with a prefix: our keys are ASCII (keys.ts), and U+10FFFF is the
 * highest code point, in UTF-8 byte order (DynamoDB) as in UTF-16 order (DynamoDB Local).
 */
const PREFIX_END = '\u{10FFFF}';

/**
 * "The partition's items whose sort key starts with `prefix`" as a key range. DynamoDB answers
 * `BETWEEN prefix AND prefix+U+10FFFF` exactly as `begins_with` (same items, same cost); DynamoDB Local
 * walks a begins_with from the partition's first item, so at 100,000 repositories a search read there
 * took 70 ms where the range takes 4 ms (measured side by side). '' is the whole partition (DynamoDB
 * refuses an empty begins_with).
 */
function keyCondition(
  pkName: string,
  skName: string,
  pk: string,
  prefix: string,
): {
  KeyConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, string>;
} {
  if (prefix === '')
    return {
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': pkName },
      ExpressionAttributeValues: { ':pk': pk },
    };
  return {
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#pk': pkName, '#sk': skName },
    ExpressionAttributeValues: { ':pk': pk, ':from': prefix, ':to': `${prefix}${PREFIX_END}` },
  };
}
