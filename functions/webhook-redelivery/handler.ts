import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { logger } from '../shared/logger.js';
import { count, flushMetrics, METRIC } from '../shared/metrics.js';
import { getServices } from '../shared/services.js';
import { tracer } from '../shared/tracer.js';
import type { RedeliveryRunSummary } from '../shared/store/redelivery-store.js';
import { appDeliveries } from './app-deliveries.js';
import { redeliverFailedDeliveries } from './redeliver-failed.js';

export type ScheduledEvent = EventBridgeEvent<'Scheduled Event', unknown>;

/**
 * The scheduled redelivery of failed webhook deliveries (an EventBridge schedule in AWS, a timer in
 * `npm start`): not an HTTP route. It reads the App secret (for the JWT) and the delivery records only.
 */
async function run(): Promise<RedeliveryRunSummary> {
  const { secrets, github, redeliveries } = getServices();
  const summary = await redeliverFailedDeliveries({
    github: appDeliveries(await secrets.gitHubApp(), github),
    store: redeliveries,
  });
  const { redelivered, ...counts } = summary;
  count(METRIC.redeliveries, undefined, redelivered.length);
  logger.info('Webhook redelivery run', {
    ...counts,
    redelivered: redelivered.length,
    deliveryIds: redelivered,
  });
  return summary;
}

export const handler: (event: ScheduledEvent, context: Context) => Promise<RedeliveryRunSummary> = middy<
  ScheduledEvent,
  RedeliveryRunSummary
>(run)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics())
  .use(tracer.handlerMiddleware())
  // A run that throws is what the redelivery-job alarm watches (beside the function's Errors).
  .use({ onError: () => count(METRIC.redeliveryRunFailures) });
