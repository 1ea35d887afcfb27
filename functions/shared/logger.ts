import type { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { INVOCATION_SCOPE, type InvocationScope } from './invocation-scope.js';
import { redactingReplacer } from './redact.js';

/**
 * One logger per container. Every line passes through the redacting replacer, so a token that reaches
 * a log call by mistake is still never written.
 */
const containerLogger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'github-app-accounts',
  jsonReplacerFn: redactingReplacer,
});

/** The fields every Logger has of its own; anything else found on the container logger was set later. */
const INSTANCE_FIELDS = new Set<string | symbol>(Reflect.ownKeys(containerLogger));

function currentLogger(): Logger {
  const storage = (globalThis as { [INVOCATION_SCOPE]?: AsyncLocalStorage<InvocationScope> })[
    INVOCATION_SCOPE
  ];
  const scope = storage?.getStore();
  if (!scope) return containerLogger;
  let child = scope.get(containerLogger);
  if (!child) {
    child = containerLogger.createChild();
    scope.set(containerLogger, child);
  }
  return child;
}

/**
 * The logger every module imports. In Lambda (one invocation per container at a time) it is the
 * container logger itself. Under a host that runs invocations concurrently, each invocation gets its
 * own child, so the keys one request appends (requestId, routeKey, userId…) never reach another's lines.
 */
export const logger: Logger = new Proxy(containerLogger, {
  get(target, property) {
    // Set through this proxy (a test's jest.spyOn): used as it is, on every invocation.
    if (Object.hasOwn(target, property) && !INSTANCE_FIELDS.has(property))
      return Reflect.get(target, property) as unknown;
    const current = currentLogger();
    const value: unknown = Reflect.get(current, property, current);
    // Bound to the real instance: Logger keeps its state in private fields, which a proxy cannot reach.
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
  },
});
