import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../shared/logger.js';
import { flushMetrics } from '../shared/metrics.js';
import { ActivityStore } from '../shared/store/activity-store.js';
import { createDocumentClient, Table } from '../shared/store/table.js';
import { tracer } from '../shared/tracer.js';
import { recordActivity } from './record.js';
import { parseActivityLogSettings, type ActivityLogSettings } from './settings.js';

let container: { settings: ActivityLogSettings; store: ActivityStore } | undefined;

/** The settings and the store, once per container (the local host resets them between test runs). */
function dependencies() {
  if (container) return container;
  const settings = parseActivityLogSettings(process.env);
  const table = new Table({
    client: createDocumentClient({ endpoint: settings.dynamodbEndpoint, limits: settings.dynamodbLimits }),
    tableName: settings.tableName,
  });
  container = { settings, store: new ActivityStore(table) };
  return container;
}

/** Tests and the local host: read the environment again on the next batch. */
export function resetActivityLogForTests(): void {
  container = undefined;
}

/**
 * The activity recorder (docs/events.md "Activity log"): a batch of the table's stream, filtered by
 * the event source mapping to outbox INSERTs (`EVENT#…`), becomes activity items. Answers with
 * `batchItemFailures` (ReportBatchItemFailures): Lambda retries from the first record not written.
 */
async function run(batch: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const { settings, store } = dependencies();
  const { batchItemFailures, summary } = await recordActivity(batch, {
    store,
    retentionDays: settings.retentionDays,
  });
  const { error, ...counts } = summary;
  if (summary.failedFrom === undefined) logger.info('Activity recorded', counts);
  else logger.warn('Activity partly recorded: the batch is retried from a record', { ...counts, error });
  return { batchItemFailures };
}

export const handler: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse> =
  middy<DynamoDBStreamEvent, DynamoDBBatchResponse>(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics())
    .use(tracer.handlerMiddleware());
