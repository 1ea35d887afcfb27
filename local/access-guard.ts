import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretsSource } from '../functions/shared/secrets/index.js';
import { FUNCTION_GRANTS, type FunctionGrants, type SecretName } from '../lib/function-grants.js';
import type { ServiceFunctionName } from '../functions/shared/service-routes.js';

/**
 * Least privilege, checked by running: every function this process runs (local API server, the
 * redelivery timer, the repository-sync stand-in) runs under the IAM grants the stack gives it
 * (lib/function-grants.ts). A DynamoDB request outside its table actions or `dynamodb:LeadingKeys`, or a
 * read of a secret it is not granted, fails with AccessDeniedException naming the action and the key or
 * secret, as AWS would refuse it; and is recorded, so a suite fails even when the function swallowed
 * the error (test/support/service.ts). Enforced at the SDK client's middleware stack and the secrets
 * source, installed only here: Lambda never loads this module.
 */

const running = new AsyncLocalStorage<ServiceFunctionName>();
const guarded = new WeakSet<object>();

/** Every refusal so far in this process, oldest first (tests fail on any). */
export const accessViolations: string[] = [];

export class AccessDeniedException extends Error {
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
  constructor(message: string) {
    super(message);
    this.name = 'AccessDeniedException';
  }
}

/** Runs one invocation of `fn` under its grants. */
export function runAs<T>(fn: ServiceFunctionName, invoke: () => Promise<T>): Promise<T> {
  return running.run(fn, invoke);
}

function deny(fn: ServiceFunctionName, action: string, resource: string, why: string): never {
  const message = `User: arn:aws:sts::000000000000:assumed-role/local-${fn}/${fn} is not authorized to perform: ${action} on resource: ${resource} (${why})`;
  accessViolations.push(message);
  throw new AccessDeniedException(message);
}

/** IAM's StringLike: `*` any run of characters, `?` one character. */
function stringLike(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

type AttributeValue = string | { S?: string } | undefined;
const text = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  const s = (value as { S?: unknown } | undefined)?.S;
  return typeof s === 'string' ? s : undefined;
};

/** One item-level operation a request asks for: the IAM action and the leading (partition) key. */
type Access = {
  action: string;
  tableName: string | undefined;
  index?: string;
  leadingKey: string | undefined;
};

const pk = (key: unknown) => text((key as Record<string, AttributeValue> | undefined)?.PK);

/** The fields of a DynamoDB command's input the grants are checked against. */
type CommandInput = {
  TableName?: string;
  IndexName?: string;
  KeyConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
  Key?: unknown;
  Item?: unknown;
  RequestItems?: unknown;
  TransactItems?: unknown;
};
type WriteRequest = { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } };

/** The partition-key value a Query names: `#pk = :pk` (or `PK = :pk`) in its key condition. */
function queryLeadingKey(input: CommandInput): string | undefined {
  const condition = input.KeyConditionExpression ?? '';
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const hashKey = input.IndexName === undefined ? 'PK' : `${input.IndexName}PK`;
  for (const match of condition.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const [, name = '', value = ''] = match;
    if ((names[name] ?? name) === hashKey) return text(values[value]);
  }
  return undefined;
}

/** What a DynamoDB command asks for, item by item (IAM checks a transaction's items one by one). */
export function accessesOf(command: string, input: CommandInput): Access[] {
  const name = command.replace(/Command$/, '');
  const table = input.TableName;
  switch (name) {
    case 'Get':
    case 'GetItem':
      return [{ action: 'dynamodb:GetItem', tableName: table, leadingKey: pk(input.Key) }];
    case 'Put':
    case 'PutItem':
      return [{ action: 'dynamodb:PutItem', tableName: table, leadingKey: pk(input.Item) }];
    case 'Update':
    case 'UpdateItem':
      return [{ action: 'dynamodb:UpdateItem', tableName: table, leadingKey: pk(input.Key) }];
    case 'Delete':
    case 'DeleteItem':
      return [{ action: 'dynamodb:DeleteItem', tableName: table, leadingKey: pk(input.Key) }];
    case 'Query':
      return [
        {
          action: 'dynamodb:Query',
          tableName: table,
          ...(input.IndexName === undefined ? {} : { index: input.IndexName }),
          leadingKey: queryLeadingKey(input),
        },
      ];
    case 'BatchGet':
    case 'BatchGetItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).flatMap(
        ([tableName, request]) =>
          (request.Keys ?? []).map((key) => ({
            action: 'dynamodb:BatchGetItem',
            tableName,
            leadingKey: pk(key),
          })),
      );
    case 'BatchWrite':
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, WriteRequest[]>).flatMap(
        ([tableName, requests]) =>
          requests.map((request) => ({
            action: 'dynamodb:BatchWriteItem',
            tableName,
            leadingKey: pk(request.PutRequest?.Item ?? request.DeleteRequest?.Key),
          })),
      );
    case 'TransactWrite':
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Array<Record<string, Record<string, unknown> | undefined>>).map(
        (item) => {
          const [kind, operation] = Object.entries(item).find(([, value]) => value !== undefined) ?? [];
          const action = {
            Put: 'PutItem',
            Update: 'UpdateItem',
            Delete: 'DeleteItem',
            ConditionCheck: 'ConditionCheckItem',
          }[kind ?? ''];
          return {
            action: `dynamodb:${action ?? String(kind)}`,
            tableName: operation?.TableName as string | undefined,
            leadingKey: pk(operation?.Item ?? operation?.Key),
          };
        },
      );
    case 'TransactGet':
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Array<{ Get?: Record<string, unknown> }>).map((item) => ({
        action: 'dynamodb:GetItem',
        tableName: item.Get?.TableName as string | undefined,
        leadingKey: pk(item.Get?.Key),
      }));
    default:
      // Scan, table administration, PartiQL: no grant names them.
      return [{ action: `dynamodb:${name}`, tableName: table, leadingKey: undefined }];
  }
}

/** Throws AccessDeniedException unless `grants` allow every access (one table, the function's own). */
export function checkTableAccess(
  fn: ServiceFunctionName,
  grants: FunctionGrants,
  tableName: string,
  accesses: readonly Access[],
): void {
  for (const access of accesses) {
    const resource = `arn:aws:dynamodb:local:000000000000:table/${access.tableName ?? '?'}${access.index ? `/index/${access.index}` : ''}`;
    if (!grants.table) deny(fn, access.action, resource, 'the function has no table grant');
    if (!(grants.table.actions as readonly string[]).includes(access.action))
      deny(fn, access.action, resource, 'the action is not granted');
    if (access.tableName !== tableName)
      deny(fn, access.action, resource, `only table ${tableName} is granted`);
    const key = access.leadingKey;
    if (key === undefined || !grants.table.leadingKeys.some((pattern) => stringLike(pattern, key)))
      deny(
        fn,
        access.action,
        resource,
        `dynamodb:LeadingKeys ${JSON.stringify(key ?? null)} is outside ${grants.table.leadingKeys.join(', ')}`,
      );
  }
}

/** The secrets source's reads, by the secret each reads. */
const SECRET_READS: Record<SecretName, keyof SecretsSource> = {
  githubApp: 'gitHubApp',
  webhook: 'webhookSecrets',
  serviceKeys: 'serviceKeys',
};

/**
 * Puts the guard on the process's DynamoDB client and secrets source (each once): a request made while
 * no function runs (a test's own setup, say) is not checked.
 */
export function guardClients(
  table: { client: DynamoDBDocumentClient; tableName: string },
  secrets: SecretsSource,
) {
  if (!guarded.has(table.client)) {
    guarded.add(table.client);
    table.client.middlewareStack.add(
      (next, context) => (args) => {
        const fn = running.getStore();
        if (fn) {
          const input = args.input as CommandInput;
          checkTableAccess(
            fn,
            FUNCTION_GRANTS[fn],
            table.tableName,
            accessesOf(context.commandName ?? '', input),
          );
        }
        return next(args);
      },
      { step: 'initialize', priority: 'high', name: 'localLeastPrivilege' },
    );
  }
  if (!guarded.has(secrets)) {
    guarded.add(secrets);
    for (const [secret, method] of Object.entries(SECRET_READS) as Array<[SecretName, keyof SecretsSource]>) {
      const read = secrets[method].bind(secrets) as () => Promise<unknown>;
      (secrets as unknown as Record<string, unknown>)[method] = async () => {
        const fn = running.getStore();
        if (fn && !FUNCTION_GRANTS[fn].secrets.includes(secret))
          deny(fn, 'secretsmanager:GetSecretValue', `secret ${secret}`, 'the secret is not granted');
        return read();
      };
    }
  }
}
