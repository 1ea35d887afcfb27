import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, Context, EventBridgeEvent } from 'aws-lambda';
import { createHttpHandler } from '../shared/http/http-handler.js';
import type { HttpResponse } from '../shared/http/responses.js';
import { logger } from '../shared/logger.js';
import { flushMetrics } from '../shared/metrics.js';
import { tracer } from '../shared/tracer.js';
import { sweepDueRevocations, type SweepSummary } from './lifetime.js';
import { revoke } from './routes/revoke.js';
import { vend } from './routes/vend.js';

export type ScheduledEvent = EventBridgeEvent<'Scheduled Event', unknown>;

const http = createHttpHandler({
  'POST /service/accounts/{accountId}/tokens': vend,
  'DELETE /service/tokens': revoke,
});

/** The schedule (EventBridge every minute; a timer in `npm start`): revoke dedicated tokens that are due. */
const sweep = middy<ScheduledEvent, SweepSummary>((_event: ScheduledEvent, context: Context) =>
  sweepDueRevocations({ remainingMs: () => context.getRemainingTimeInMillis() }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics())
  .use(tracer.handlerMiddleware());

const isScheduled = (event: unknown): event is ScheduledEvent =>
  typeof event === 'object' && event !== null && (event as { source?: unknown }).source === 'aws.events';

/** The HTTP routes, and the lifetime sweep when EventBridge's schedule invokes the function. */
export function handler(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResponse>;
export function handler(event: ScheduledEvent, context: Context): Promise<SweepSummary>;
export function handler(
  event: APIGatewayProxyEventV2 | ScheduledEvent,
  context: Context,
): Promise<HttpResponse | SweepSummary> {
  return isScheduled(event) ? sweep(event, context) : http(event, context);
}
