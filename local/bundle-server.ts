/**
 * The local API server in front of the bundles `cdk synth` wrote (not the TypeScript sources): each
 * route's function is the `index.mjs` its Lambda would load. Started by the bundle suite
 * (test/bundles/) as a plain Node process on Lambda's Node version, with the environment the stack
 * gives the functions (local/bundles.ts bundleEnvironment). Prints `READY <url> <node version>`.
 * With `--run <schedule>` (SCHEDULED_RUNS) it instead invokes that schedule's bundle once, as
 * EventBridge would, and prints `RESULT <json>`.
 *
 *   BUNDLES_DIR          the cdk.out folder (default cdk.out)
 *   PORT                 port to listen on (default: a free one)
 *   RUN_CLOCK_OFFSET_MS  with --run: the run as if it came that much later (a test's stand-in for
 *                        waiting; this process's Date.now only, as the source suites fake it)
 */
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { HttpLambdaHandler } from '../functions/shared/http/http-handler.js';
import { functionTimeoutMs, type ServiceFunctionName } from '../functions/shared/service-routes.js';
import { lambdaContext } from './api-event.js';
import { startLocalApiServer } from './api-server.js';
import { readBundles } from './bundles.js';
import type { LocalSecretsFile } from './local-secrets.js';
import { scheduledEvent } from './schedule-timer.js';

const bundles = readBundles(process.env.BUNDLES_DIR ?? 'cdk.out');
const load = async <T>(fn: ServiceFunctionName) => (await import(pathToFileURL(bundles[fn].file).href)) as T;

/**
 * The schedules `--run` stands in for: the function each EventBridge rule invokes, with the rule's
 * event (lib/stack/service-functions.ts); the run has the function's timeout (functionTimeoutMs).
 */
const SCHEDULED_RUNS = {
  'webhook-redelivery': { fn: 'webhook-redelivery', rule: 'WebhookRedeliverySchedule' },
  // The token-vending function's lifetime sweep: the same bundle as its HTTP routes.
  'token-lifetime': { fn: 'token-vending', rule: 'TokenLifetimeSchedule' },
} as const satisfies Record<string, { fn: ServiceFunctionName; rule: string }>;

if (process.argv[2] === '--run') {
  const name = process.argv[3] ?? '';
  if (!(name in SCHEDULED_RUNS))
    throw new Error(`--run: one of ${Object.keys(SCHEDULED_RUNS).join(', ')}, not "${name}"`);
  const run = SCHEDULED_RUNS[name as keyof typeof SCHEDULED_RUNS];
  const offset = Number(process.env.RUN_CLOCK_OFFSET_MS ?? 0);
  if (offset) {
    const now = Date.now.bind(Date);
    Date.now = () => now() + offset;
  }
  const { handler } = await load<{
    handler: (
      event: ReturnType<typeof scheduledEvent>,
      context: ReturnType<typeof lambdaContext>,
    ) => Promise<unknown>;
  }>(run.fn);
  const result = await handler(scheduledEvent(run.rule), lambdaContext(run.fn, functionTimeoutMs(run.fn)));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
} else {
  const api = await startLocalApiServer({
    port: Number(process.env.PORT ?? 0),
    frontendOrigins: (process.env.FRONTEND_ORIGINS ?? '').split(',').map((origin) => origin.trim()),
    loadHandler: (fn) => load<{ handler: HttpLambdaHandler }>(fn),
    guardAccess: false,
    // The service routes' SigV4 keys, from the secrets file the bundles read too.
    serviceCredentials: serviceCredentials(process.env.LOCAL_SECRETS_FILE),
  });
  process.stdout.write(`READY ${api.url} ${process.version}\n`);
  const stop = () => void api.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function serviceCredentials(path: string | undefined) {
  if (!path || !existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, 'utf8')) as LocalSecretsFile).serviceCredentials ?? [];
}
