import { logger } from '../logger.js';

/**
 * Why a sync is asked for (logged by the run). `confirm`: no sync, only the installation's details
 * read from GitHub and stored (a webhook saw two states with the same `updated_at`, or a rename).
 */
export type SyncReason = 'installed' | 'permissions' | 'linked' | 'schedule' | 'continue' | 'confirm';

/** The event the repository-sync function receives for one installation. */
export type RepositorySyncRequest = { installationId: number; reason: SyncReason };

/** Runs a sync in this process (npm start, tests): local/repository-sync-runner.ts registers one. */
export type LocalRepositorySyncRunner = (request: RepositorySyncRequest) => void;

// On globalThis: the local server and the handlers it loads must see the same runner.
const RUNNER = Symbol.for('github-app-accounts.repository-sync-runner');
type Globals = { [RUNNER]?: LocalRepositorySyncRunner };

export function setLocalRepositorySyncRunner(runner: LocalRepositorySyncRunner | undefined): void {
  (globalThis as Globals)[RUNNER] = runner;
}

/**
 * Asks for one reconciler run for the installation (docs/repository-index.md "Reconciler"), fire and
 * forget: in AWS an asynchronous invocation of the repository-sync function (`REPOSITORY_SYNC_FUNCTION`,
 * or the sync function's own name with `fromSyncFunction`; InvocationType Event: Lambda queues it and
 * retries it), locally the same handler in this process.
 * Never throws: a sync that could not be asked for is logged, and the schedule catches up.
 */
export async function requestRepositorySync(
  installationId: number,
  reason: SyncReason,
  options: { fromSyncFunction?: boolean } = {},
): Promise<void> {
  const request: RepositorySyncRequest = { installationId, reason };
  try {
    const runner = (globalThis as Globals)[RUNNER];
    // The repository-sync function itself (its schedule's fan-out, a continuation) invokes itself by the
    // name Lambda gives it: the stack cannot name a function in its own environment (a cycle).
    const self = options.fromSyncFunction && !runner ? process.env.AWS_LAMBDA_FUNCTION_NAME : undefined;
    const functionName = process.env.REPOSITORY_SYNC_FUNCTION ?? self;
    if (functionName) {
      // Loaded on first use: a cold start that asks for no sync evaluates none of it.
      const { invokeAsync } = await import('./lambda-invoke.js');
      await invokeAsync(functionName, request);
      return;
    }
    if (runner) runner(request);
    else
      logger.warn('No repository sync runner: the sync is left to the schedule', { installationId, reason });
  } catch (error) {
    logger.warn('Could not request a repository sync: the schedule will catch up', {
      installationId,
      reason,
      error,
    });
  }
}
