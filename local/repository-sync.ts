import type { RepositorySyncEvent, RepositorySyncResult } from '../functions/repository-sync/handler.js';
import {
  setLocalRepositorySyncRunner,
  type RepositorySyncRequest,
} from '../functions/shared/repositories/request-sync.js';
import { lambdaContext } from './api-event.js';
import { inInvocationScope } from './invocation-scope.js';
import { scheduledEvent } from './schedule-timer.js';

/** The function's timeout in AWS (functions/shared/service-routes.ts): a local run gets the same time. */
const TIMEOUT_MS = 900_000;
/** Installations synced at once in this process (Lambda would run them in parallel containers). */
const CONCURRENCY = 4;

export type LocalRepositorySync = {
  /** Resolves once no sync is running or waiting (tests). */
  idle(): Promise<void>;
  /** Results of the runs so far, oldest first, and the errors of runs that threw (tests). */
  results: RepositorySyncResult[];
  errors: unknown[];
  stop(): void;
};

/** Runs the very handler the function runs in AWS, once, with its timeout (or `timeoutMs`). */
export async function invokeRepositorySync(
  event: RepositorySyncEvent,
  timeoutMs = TIMEOUT_MS,
): Promise<RepositorySyncResult> {
  const { handler } = await import('../functions/repository-sync/handler.js');
  return inInvocationScope('repository-sync', () =>
    handler(event, lambdaContext('repository-sync', timeoutMs)),
  );
}

/**
 * `npm start`'s stand-in for Lambda's asynchronous invocations of the repository-sync function
 * (functions/shared/repositories/request-sync.ts): each request runs the handler in this process, one
 * run per installation at a time (a request during a run runs once more after it, as Lambda's queue
 * would), a few installations at once. With `intervalSeconds`, also the EventBridge schedule's
 * stand-in: every installation of the App is synced that often.
 */
export function startLocalRepositorySync(
  options: {
    intervalSeconds?: number;
    onResult?: (result: RepositorySyncResult) => void;
    onError?: (error: unknown) => void;
  } = {},
): LocalRepositorySync {
  const running = new Set<number>();
  const waiting = new Map<number, RepositorySyncRequest>();
  const queue: RepositorySyncRequest[] = [];
  const results: RepositorySyncResult[] = [];
  const errors: unknown[] = [];
  let idleWaiters: Array<() => void> = [];
  let active = 0;
  let stopped = false;
  let scheduling: Promise<unknown> | undefined;

  const settle = () => {
    if (active > 0 || queue.length > 0 || waiting.size > 0 || scheduling) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const pump = () => {
    while (!stopped && active < CONCURRENCY) {
      const index = queue.findIndex((request) => !running.has(request.installationId));
      if (index < 0) break;
      const [request] = queue.splice(index, 1);
      if (!request) break;
      running.add(request.installationId);
      active++;
      invokeRepositorySync(request)
        .then((result) => {
          results.push(result);
          options.onResult?.(result);
        })
        .catch((error: unknown) => {
          errors.push(error);
          options.onError?.(error);
        })
        .finally(() => {
          running.delete(request.installationId);
          active--;
          const again = waiting.get(request.installationId);
          if (again) {
            waiting.delete(request.installationId);
            queue.push(again);
          }
          pump();
          settle();
        });
    }
  };

  setLocalRepositorySyncRunner((request) => {
    if (stopped) return;
    // A confirmation of an installation's details is its own run: never folded into a sync (nor one
    // into it), as Lambda would run each invocation.
    const confirm = request.reason === 'confirm';
    const queued = queue.some(
      (other) => other.installationId === request.installationId && (other.reason === 'confirm') === confirm,
    );
    if (confirm) {
      if (!queued) queue.push(request);
    } else if (running.has(request.installationId)) waiting.set(request.installationId, request);
    else if (!queued) queue.push(request);
    pump();
  });

  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped || !options.intervalSeconds) return;
    timer = setTimeout(() => {
      scheduling = invokeRepositorySync(scheduledEvent('RepositorySyncSchedule'))
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          scheduling = undefined;
          settle();
          schedule();
        });
    }, options.intervalSeconds * 1000);
    timer.unref();
  };
  schedule();

  return {
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      }),
    results,
    errors,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      setLocalRepositorySyncRunner(undefined);
    },
  };
}
