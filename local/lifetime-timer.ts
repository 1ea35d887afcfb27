import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from '../functions/token-vending/handler.js';
import type { SweepSummary } from '../functions/token-vending/lifetime.js';
import { lambdaContext } from './api-event.js';
import { inInvocationScope } from './invocation-scope.js';

/** Runs the token-vending function as its every-minute EventBridge schedule does: the lifetime sweep, once. */
export async function runLifetimeSweepOnce(): Promise<SweepSummary> {
  const { handler } = await import('../functions/token-vending/handler.js');
  const event: ScheduledEvent = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'local',
    resources: ['arn:aws:events:local:000000000000:rule/TokenLifetimeSchedule'],
    detail: {},
  };
  return inInvocationScope('token-vending', () => handler(event, lambdaContext('token-vending', 30_000)));
}

/**
 * `npm start`'s stand-in for that schedule: the sweep every `intervalSeconds`, one run at a time (the
 * next is timed from the end of the previous one).
 */
export function startLifetimeTimer(options: {
  intervalSeconds: number;
  onRun?: (summary: SweepSummary) => void;
  onError?: (error: unknown) => void;
}): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      runLifetimeSweepOnce()
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
