import { randomUUID } from 'node:crypto';

/** The event EventBridge hands a function on each scheduled run of the rule `ruleName`. */
export function scheduledEvent(ruleName: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event' as const,
    source: 'aws.events' as const,
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'local',
    resources: [`arn:aws:events:local:000000000000:rule/${ruleName}`],
    detail: {},
  };
}

export type ScheduleTimer = { stop(): void };

/** Every `intervalSeconds`, what a run answered (`onRun`) or why it failed (`onError`). */
export type ScheduleTimerOptions<T> = {
  intervalSeconds: number;
  onRun?: (summary: T) => void;
  onError?: (error: unknown) => void;
};

/**
 * `npm start`'s stand-in for an EventBridge schedule: `run` every `intervalSeconds`, one run at a time
 * (the next is timed from the end of the previous one), never keeping the process alive by itself.
 */
export function startScheduleTimer<T>(
  run: () => Promise<T>,
  options: ScheduleTimerOptions<T>,
): ScheduleTimer {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      run()
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
