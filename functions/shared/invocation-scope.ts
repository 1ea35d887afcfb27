import type { Logger } from '@aws-lambda-powertools/logger';

/**
 * Where a host that runs several invocations at once in one process (the local API server, never
 * Lambda) keeps each invocation's scope, an AsyncLocalStorage<InvocationScope>. A global symbol, so
 * that every copy of logger.ts (one per bundle) finds the same storage. Its own module, so the host
 * can name it without creating the logger before the handlers' environment is set.
 */
export const INVOCATION_SCOPE = Symbol.for('github-app-accounts.invocation-scope');

/** One invocation's state: its own child of each container logger. */
export type InvocationScope = Map<Logger, Logger>;
