/**
 * What each function may touch, as IAM grants: its table actions, the `dynamodb:LeadingKeys` patterns
 * of its table statement, and the secrets it may read. Pure data (no CDK): the stack builds the roles'
 * policies from it, and the local server enforces it on every function it runs (local/access-guard.ts),
 * so a function touching anything outside its grant fails locally as it would in AWS. A test checks the
 * synthesized template's policies against these grants (test/infra/least-privilege.test.ts).
 */
import {
  SERVICE_FUNCTIONS,
  type FunctionSpec,
  type ServiceFunctionName,
} from '../functions/shared/service-routes.js';

/** The item-level operations the service uses: no Scan, no table or stream administration. */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:Query',
] as const;

export type TableAction = (typeof TABLE_ACTIONS)[number];

/** The stack's three secrets (lib/stack/service-secrets.ts), by the names the local server knows them by. */
export type SecretName = 'githubApp' | 'webhook' | 'serviceKeys';

export type FunctionGrants = Readonly<{
  /** Absent: no table statement at all. */
  table?: Readonly<{
    actions: readonly TableAction[];
    /** `ForAllValues:StringLike` patterns on `dynamodb:LeadingKeys` (`*` matches any characters). */
    leadingKeys: readonly string[];
  }>;
  /**
   * The table's stream, read by the function's event source mapping (DescribeStream, GetRecords,
   * GetShardIterator on the stream; ListStreams, which has no resource): CDK's grant, beside the table
   * statement. Nothing local runs under it (no function reads a stream itself).
   */
  tableStream?: true;
  /** Secrets it may read (`secretsmanager:GetSecretValue`). */
  secrets: readonly SecretName[];
  /** With `-c appKeySigning=kms`: `kms:Sign` on the App's key, and nothing else of KMS (APP_JWT_SIGNERS). */
  appKeySign?: boolean;
}>;

/**
 * The functions that sign App JWTs: they mint installation tokens (or, redelivery, call GitHub as the
 * App). With `-c appKeySigning=kms` (lib/app-key-signing.ts) only these may call `kms:Sign`, on the
 * App's key alone; `accounts` and `list-installations` read the App secret for the OAuth client only.
 * test/unit/app-key-bundles.test.ts: exactly these bundles carry the KMS Sign call.
 */
export const APP_JWT_SIGNERS: ReadonlySet<ServiceFunctionName> = new Set<ServiceFunctionName>([
  'oauth-callback',
  'link-installation',
  'create-repo',
  'repositories',
  'repository-sync',
  'webhook-redelivery',
  'token-vending',
]);

export function grantsOf(spec: FunctionSpec): FunctionGrants {
  const secrets: SecretName[] = [];
  if (spec.access.githubAppSecret) secrets.push('githubApp');
  if (spec.access.webhookSecret) secrets.push('webhook');
  if (spec.access.serviceKeys) secrets.push('serviceKeys');
  if (!spec.access.table) return { secrets };
  if (!spec.tablePrefixes?.length) throw new Error(`${spec.entry}: table access needs tablePrefixes`);
  return {
    table: { actions: TABLE_ACTIONS, leadingKeys: spec.tablePrefixes.map((prefix) => `${prefix}*`) },
    ...(spec.tableStream ? { tableStream: true as const } : {}),
    secrets,
  };
}

export const FUNCTION_GRANTS: Readonly<Record<ServiceFunctionName, FunctionGrants>> = Object.fromEntries(
  (Object.entries(SERVICE_FUNCTIONS) as Array<[ServiceFunctionName, FunctionSpec]>).map(([name, spec]) => [
    name,
    { ...grantsOf(spec), appKeySign: APP_JWT_SIGNERS.has(name) },
  ]),
) as Record<ServiceFunctionName, FunctionGrants>;
