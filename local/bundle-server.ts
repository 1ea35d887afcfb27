/**
 * The local API server in front of the bundles `cdk synth` wrote (not the TypeScript sources): each
 * route's function is the `index.mjs` its Lambda would load. Started by the bundle suite
 * (test/bundles/) as a plain Node process on Lambda's Node version, with the environment the stack
 * gives the functions (local/bundles.ts bundleEnvironment). Prints `READY <url> <node version>`.
 * With `--run webhook-redelivery` it instead invokes that scheduled bundle once, as EventBridge would,
 * and prints `RESULT <json>`.
 *
 *   BUNDLES_DIR  the cdk.out folder (default cdk.out)
 *   PORT         port to listen on (default: a free one)
 */
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { HttpLambdaHandler } from '../functions/shared/http/http-handler.js';
import type { ScheduledEvent } from '../functions/webhook-redelivery/handler.js';
import type { ServiceFunctionName } from '../functions/shared/service-routes.js';
import { lambdaContext } from './api-event.js';
import { startLocalApiServer } from './api-server.js';
import { readBundles } from './bundles.js';
import type { LocalSecretsFile } from './local-secrets.js';
import { scheduledEvent } from './schedule-timer.js';

const bundles = readBundles(process.env.BUNDLES_DIR ?? 'cdk.out');
const load = async <T>(fn: ServiceFunctionName) => (await import(pathToFileURL(bundles[fn].file).href)) as T;

if (process.argv[2] === '--run') {
  if (process.argv[3] !== 'webhook-redelivery')
    throw new Error('--run: only webhook-redelivery runs on a schedule');
  const { handler } = await load<{
    handler: (event: ScheduledEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
  }>('webhook-redelivery');
  const result = await handler(
    scheduledEvent('WebhookRedeliverySchedule'),
    lambdaContext('webhook-redelivery', 300_000),
  );
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
