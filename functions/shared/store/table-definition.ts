/**
 * The table's physical shape: the CDK stack and the local runtime both build the table from this, so
 * the two cannot drift. Pure data, no imports, safe to load anywhere.
 */
export const TABLE_DEFINITION = {
  partitionKey: 'PK',
  sortKey: 'SK',
  globalSecondaryIndexes: [{ indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' }],
  timeToLiveAttribute: 'expiresAt',
  // The outbox is delivered from the stream (EventBridge Pipes in AWS, local/event-stream.ts locally).
  streamViewType: 'NEW_IMAGE',
} as const;

export const GSI1 = TABLE_DEFINITION.globalSecondaryIndexes[0];
