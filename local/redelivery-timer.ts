import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from '../functions/webhook-redelivery/handler.js';
import type { RedeliveryRunSummary } from '../functions/shared/store/redelivery-store.js';
import { lambdaContext } from './api-event.js';
import { inInvocationScope } from './invocation-scope.js';

export type RedeliveryTimer = { stop(): void };

/** The event EventBridge hands the function on each scheduled run. */
export function scheduledEvent(): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'local',
    resources: ['arn:aws:events:local:000000000000:rule/WebhookRedeliverySchedule'],
    detail: {},
  };
}

/** Runs the very handler the schedule invokes in AWS, once, as EventBridge would. */
export async function runRedeliveryOnce(): Promise<RedeliveryRunSummary> {
  const { handler } = await import('../functions/webhook-redelivery/handler.js');
  return inInvocationScope('webhook-redelivery', () =>
    handler(scheduledEvent(), lambdaContext('webhook-redelivery', 300_000)),
  );
}

/**
 * `npm start`'s stand-in for the EventBridge schedule: the redelivery function every `intervalSeconds`,
 * one run at a time (the next is timed from the end of the previous one).
 */
export function startRedeliveryTimer(options: {
  intervalSeconds: number;
  onRun?: (summary: RedeliveryRunSummary) => void;
  onError?: (error: unknown) => void;
}): RedeliveryTimer {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      runRedeliveryOnce()
        .then((summary) => options.onRun?.(summary))
        .catch((error: unknown) => options.onError?.(error))
        .finally(schedule);
    }, options.intervalSeconds * 1000);
    timer.unref();
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
