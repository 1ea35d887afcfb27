import { AsyncLocalStorage } from 'node:async_hooks';
import { INVOCATION_SCOPE, type InvocationScope } from '../functions/shared/invocation-scope.js';
import type { ServiceFunctionName } from '../functions/shared/service-routes.js';
import { guardClients, runAs } from './access-guard.js';

/**
 * Lambda runs one invocation per container at a time; this process runs every function's invocations
 * at once. Each runs in its own scope, where the handlers' logger is a child of its own (logger.ts), so
 * one invocation's keys never reach another's lines; and under the IAM grants of its function `fn`
 * (local/access-guard.ts), as its role would hold it to in AWS.
 */
export async function inInvocationScope<T>(
  fn: ServiceFunctionName,
  invoke: () => Promise<T>,
  options: { guard?: boolean } = {},
): Promise<T> {
  if (options.guard !== false) await guardServices();
  const globals = globalThis as { [INVOCATION_SCOPE]?: AsyncLocalStorage<InvocationScope> };
  const invocations = (globals[INVOCATION_SCOPE] ??= new AsyncLocalStorage<InvocationScope>());
  return runAs(fn, () => invocations.run(new Map(), invoke));
}

/**
 * The guard goes on the clients the handlers share (imported late: the handlers' environment is set by
 * then). Each check is cheap; a new client or source (a test resetting the services) gets it too.
 */
async function guardServices(): Promise<void> {
  const { getServices } = await import('../functions/shared/services.js');
  let services;
  try {
    services = getServices();
  } catch {
    return; // configuration incomplete: the function itself reports it
  }
  guardClients(services.table, services.secrets);
}
