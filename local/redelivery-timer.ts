import type { RedeliveryRunSummary } from '../functions/shared/store/redelivery-store.js';
import { functionTimeoutMs } from '../functions/shared/service-routes.js';
import { lambdaContext } from './api-event.js';
import { inInvocationScope } from './invocation-scope.js';
import {
  scheduledEvent,
  startScheduleTimer,
  type ScheduleTimer,
  type ScheduleTimerOptions,
} from './schedule-timer.js';

export type RedeliveryTimer = ScheduleTimer;

/** Runs the very handler the schedule invokes in AWS, once, as EventBridge would. */
export async function runRedeliveryOnce(): Promise<RedeliveryRunSummary> {
  const { handler } = await import('../functions/webhook-redelivery/handler.js');
  return inInvocationScope('webhook-redelivery', () =>
    handler(
      scheduledEvent('WebhookRedeliverySchedule'),
      lambdaContext('webhook-redelivery', functionTimeoutMs('webhook-redelivery')),
    ),
  );
}

/** `npm start`'s stand-in for the redelivery function's EventBridge schedule (schedule-timer.ts). */
export function startRedeliveryTimer(options: ScheduleTimerOptions<RedeliveryRunSummary>): RedeliveryTimer {
  return startScheduleTimer(runRedeliveryOnce, options);
}
