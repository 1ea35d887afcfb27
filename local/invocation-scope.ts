import { AsyncLocalStorage } from 'node:async_hooks';
import { INVOCATION_SCOPE, type InvocationScope } from '../functions/shared/invocation-scope.js';

/**
 * Lambda runs one invocation per container at a time; this process runs every function's invocations
 * at once. Each runs in its own scope, where the handlers' logger is a child of its own (logger.ts), so
 * one invocation's keys never reach another's lines.
 */
export function inInvocationScope<T>(invoke: () => Promise<T>): Promise<T> {
  const globals = globalThis as { [INVOCATION_SCOPE]?: AsyncLocalStorage<InvocationScope> };
  const invocations = (globals[INVOCATION_SCOPE] ??= new AsyncLocalStorage<InvocationScope>());
  return invocations.run(new Map(), invoke);
}
