import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { TABLE_DEFINITION } from '../../functions/shared/store/table-definition.js';
import { grantsOf } from '../function-grants.js';
import type { FunctionSpec } from '../../functions/shared/service-routes.js';

/**
 * The service's one DynamoDB table (functions/shared/store/table-definition.ts), retained beyond the
 * stack. A part of GitHubAppStack, created in the stack's own scope so its logical ID stays the one
 * deployed stacks have (docs/architecture.md "The stack's parts").
 */
export class ServiceTable {
  readonly table: Table;

  constructor(stack: Stack) {
    this.table = new Table(stack, 'Table', {
      partitionKey: { name: TABLE_DEFINITION.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_DEFINITION.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_DEFINITION.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      // The outbox's way out: new images, read by the event pipe (lib/stack/event-delivery.ts) and the
      // activity log (docs/events.md).
      stream: StreamViewType[TABLE_DEFINITION.streamViewType],
      // Accounts, links and users outlive any one deployment of the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const gsi of TABLE_DEFINITION.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
      });
    }
  }
}

/**
 * The item-level table statement for one function (lib/function-grants.ts): its actions on the table and
 * GSI1, only on items whose partition key (or, for a GSI1 query, GSI1 partition key) starts with one of
 * its prefixes.
 */
export function tableStatement(table: Table, spec: FunctionSpec): PolicyStatement {
  const grant = grantsOf(spec).table;
  if (!grant) throw new Error(`${spec.entry}: no table access`);
  return new PolicyStatement({
    actions: [...grant.actions],
    resources: [table.tableArn, `${table.tableArn}/index/*`],
    conditions: {
      // Every key in the request must match; Scan (no key) is not among the actions.
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.leadingKeys] },
    },
  });
}
