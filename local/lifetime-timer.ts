import type { ScheduledEvent } from '../functions/token-vending/handler.js';
import type { SweepSummary } from '../functions/token-vending/lifetime.js';
import { functionTimeoutMs } from '../functions/shared/service-routes.js';
import { lambdaContext } from './api-event.js';
import { inInvocationScope } from './invocation-scope.js';
import {
  scheduledEvent,
  startScheduleTimer,
  type ScheduleTimer,
  type ScheduleTimerOptions,
} from './schedule-timer.js';

/** Runs the token-vending function as its every-minute EventBridge schedule does: the lifetime sweep, once. */
export async function runLifetimeSweepOnce(): Promise<SweepSummary> {
  const { handler } = await import('../functions/token-vending/handler.js');
  const event: ScheduledEvent = scheduledEvent('TokenLifetimeSchedule');
  return inInvocationScope('token-vending', () =>
    handler(event, lambdaContext('token-vending', functionTimeoutMs('token-vending'))),
  );
}

/** `npm start`'s stand-in for the token-vending function's every-minute schedule (schedule-timer.ts). */
export function startLifetimeTimer(options: ScheduleTimerOptions<SweepSummary>): ScheduleTimer {
  return startScheduleTimer(runLifetimeSweepOnce, options);
}
