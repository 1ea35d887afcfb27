/**
 * The table's physical shape: the CDK stack and the local runtime both build the table from this, so
 * the two cannot drift. Pure data, no imports, safe to load anywhere.
 */
export const TABLE_DEFINITION = {
  partitionKey: 'PK',
  sortKey: 'SK',
  globalSecondaryIndexes: [{ indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' }],
  timeToLiveAttribute: 'expiresAt',
} as const;

export const GSI1 = TABLE_DEFINITION.globalSecondaryIndexes[0];
