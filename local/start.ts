/**
 * `npm start`: the whole service on this machine. DynamoDB Local (data kept under .local/), the table
 * built from the stack's own definition, and the local API server invoking the Lambda handlers.
 * Every setting can be overridden by environment variables (docs/configuration.md).
 */
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from './create-table.js';
import {
  LOCAL_AWS_SETTINGS,
  superviseDynamoDbLocal,
  type SupervisedDynamoDbLocal,
} from './dynamodb-local.js';
import { localGitHub } from './github-settings.js';
import { ensureLocalSecrets, LOCAL_PLATFORM_AWS_ACCOUNT_ID } from './local-secrets.js';
import { assertPortFree } from './ports.js';
import { startLocalApiServer, type LocalApiServer } from './api-server.js';
import { parseLogSettings, printHandlerOutputAsText, requestLine } from './log-output.js';
import { startLifetimeTimer } from './lifetime-timer.js';
import { startRedeliveryTimer } from './redelivery-timer.js';
import { DEMO_WORLD, seedDemoWorld } from './github-emulator/seed.js';
import { startGitHubEmulator } from './github-emulator/server.js';
import { buildConsole } from './console-site.js';
import { localAppKeySigning } from './kms-endpoint.js';
import { createEventDeliverer } from './event-delivery.js';
import { startEventStreamReader } from './event-stream.js';
import { lambdaContext } from './api-event.js';
import { inInvocationScope } from './invocation-scope.js';

const env = process.env;
/** The activity-log function's timeout in AWS (functions/shared/service-routes.ts). */
const ACTIVITY_LOG_TIMEOUT_MS = 60_000;
// The SDK warns that releases after January 2027 need Node 22; Lambda runs 22 already.
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(env.PORT ?? 3000);
const dynamoPort = Number(env.DYNAMODB_PORT ?? 8000);
const dataDir = resolve(env.LOCAL_DATA_DIR ?? '.local');
const tableName = env.TABLE_NAME ?? 'github-app-accounts';
const apiBaseUrl = env.API_BASE_URL ?? `http://localhost:${port}`;
// The console on this server first (returnTo defaults to it), then `npm run console:dev`'s Vite.
const frontendOrigins = env.FRONTEND_ORIGINS ?? `http://localhost:${port},http://localhost:5173`;
const secretsFile = resolve(env.LOCAL_SECRETS_FILE ?? `${dataDir}/secrets.json`);
const emulatorPort = Number(env.GITHUB_EMULATOR_PORT ?? 3001);
const eventsTargetUrl = env.EVENTS_TARGET_URL || undefined;
const logs = parseLogSettings(env);

const stoppers: Array<() => Promise<void>> = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  }
  process.exit(code);
}

async function main(): Promise<void> {
  // A real (or other) GitHub when the environment names one, else the emulator. Checked first: a
  // partial set of real App settings stops the start before anything runs.
  const github = localGitHub(env);
  if (eventsTargetUrl && !URL.canParse(eventsTargetUrl))
    throw new Error('EVENTS_TARGET_URL must be a URL (http://localhost:4000/events)');
  const useRealGitHub = github.kind === 'external';
  await assertPortFree(port, 'PORT');
  if (!useRealGitHub) await assertPortFree(emulatorPort, 'GITHUB_EMULATOR_PORT');
  // Built while DynamoDB Local starts; served under /console/ as CloudFront serves it in AWS.
  const consoleBuilt = buildConsole({ outDir: `${dataDir}/console`, quiet: true });
  consoleBuilt.catch(() => undefined);

  let dynamodb: SupervisedDynamoDbLocal | undefined;
  let dynamoEndpoint = env.DYNAMODB_ENDPOINT;
  if (!dynamoEndpoint) {
    await assertPortFree(dynamoPort, 'DYNAMODB_PORT');
    // Restarted on the same data if its Java process exits; the API answers 503 meanwhile.
    dynamodb = await superviseDynamoDbLocal({
      port: dynamoPort,
      dataDir: `${dataDir}/dynamodb`,
      log: (line) => console.error(line),
      onGiveUp: (error) => {
        console.error(`${error.message}: giving up.`);
        void stopAll(1);
      },
    });
    stoppers.push(() => dynamodb?.stop() ?? Promise.resolve());
    dynamoEndpoint = dynamodb.endpoint;
  }

  const client = new DynamoDBClient({ ...LOCAL_AWS_SETTINGS, endpoint: dynamoEndpoint });
  const table = await ensureTable(client, tableName);
  client.destroy();

  const { secrets, created: secretsCreated } = ensureLocalSecrets(secretsFile);
  // APP_KEY_SIGNING=kms: App JWTs signed by KMS Sign (KMS_ENDPOINT, or a stand-in started here).
  const appKey = await localAppKeySigning(env, secrets.githubApp.privateKey);
  if (appKey.close) stoppers.push(appKey.close);

  let githubApiUrl = env.GITHUB_API_URL ?? 'https://api.github.com';
  let githubWebUrl = env.GITHUB_WEB_URL ?? 'https://github.com';
  let emulatorUrl: string | undefined;
  if (!useRealGitHub) {
    const emulator = await startGitHubEmulator({ port: emulatorPort });
    stoppers.push(() => emulator.close());
    emulatorUrl = emulator.url;
    githubApiUrl = emulator.url;
    githubWebUrl = emulator.url;
  }

  // The handlers read their configuration from the environment, exactly as in Lambda.
  Object.assign(env, {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    AWS_REGION: env.AWS_REGION ?? LOCAL_AWS_SETTINGS.region,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? LOCAL_AWS_SETTINGS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? LOCAL_AWS_SETTINGS.credentials.secretAccessKey,
    API_BASE_URL: apiBaseUrl,
    FRONTEND_ORIGINS: frontendOrigins,
    PLATFORM_AWS_ACCOUNT_ID: env.PLATFORM_AWS_ACCOUNT_ID ?? LOCAL_PLATFORM_AWS_ACCOUNT_ID,
    LOCAL_SECRETS_FILE: secretsFile,
    GITHUB_API_URL: githubApiUrl,
    GITHUB_WEB_URL: githubWebUrl,
    POWERTOOLS_LOG_LEVEL: logs.level,
    // EMF metric lines only with LOG_FORMAT=json (the raw output Lambda would write); not by default.
    POWERTOOLS_METRICS_DISABLED: env.POWERTOOLS_METRICS_DISABLED ?? String(logs.format !== 'json'),
    ...appKey.env,
  });
  if (logs.format === 'text') printHandlerOutputAsText();

  const api: LocalApiServer = await startLocalApiServer({
    port,
    consoleDir: await consoleBuilt,
    canonicalOrigin: new URL(apiBaseUrl).origin,
    frontendOrigins: frontendOrigins.split(',').map((origin) => origin.trim()),
    onRequest: (line) => console.log(requestLine(line)),
    // The service routes (token vending) verify SigV4 against these, as API Gateway's IAM authorizer.
    serviceCredentials: secrets.serviceCredentials ?? [],
    region: env.AWS_REGION,
  });
  stoppers.push(() => api.close());

  // Domain events (docs/events.md "Locally (`npm start`)"): the table's stream, read as EventBridge Pipes reads it
  // in AWS, each event printed here and posted to EVENTS_TARGET_URL. Started before the seed, whose
  // webhooks write events. Other stream consumers register with eventStream.onRecords(handler).
  const eventsStopping = new AbortController();
  const eventStream = startEventStreamReader({
    endpoint: dynamoEndpoint,
    tableName,
    checkpointFile: `${dataDir}/event-stream.json`,
    log: (line) => console.log(line),
  });
  const eventTarget = createEventDeliverer({
    targetUrl: eventsTargetUrl,
    secret: env.EVENTS_SIGNING_SECRET || secrets.eventsSigningSecret || '',
    region: env.AWS_REGION ?? LOCAL_AWS_SETTINGS.region,
    signal: eventsStopping.signal,
    log: (line) => console.log(line),
  });
  eventStream.onEvent(eventTarget.deliver, 'EVENTS_TARGET_URL');
  // The activity log's recorder, fed as its event source mapping feeds it in AWS (docs/events.md
  // "Activity log"): the very handler, under its function's grants; `batchItemFailures` retries.
  const { handler: recordActivity } = await import('../functions/activity-log/handler.js');
  eventStream.onRecords(
    (batch) =>
      inInvocationScope('activity-log', () =>
        recordActivity(batch, lambdaContext('activity-log', ACTIVITY_LOG_TIMEOUT_MS)),
      ),
    { name: 'activity log' },
  );
  stoppers.push(async () => {
    eventsStopping.abort();
    await eventStream.stop();
  });

  // The reconciler (docs/repository-index.md): requested syncs run in this process, and every
  // installation is reconciled every REPOSITORY_SYNC_INTERVAL_SECONDS. Started before the seed, whose
  // installation webhooks ask for the first syncs.
  const syncSeconds = Number(env.REPOSITORY_SYNC_INTERVAL_SECONDS ?? 600);
  if (!Number.isFinite(syncSeconds) || syncSeconds < 0)
    throw new Error(
      'REPOSITORY_SYNC_INTERVAL_SECONDS must be a number of seconds (0 turns the schedule off)',
    );
  // Imported only now: it loads the handlers' logger, which reads POWERTOOLS_LOG_LEVEL when created.
  const { startLocalRepositorySync } = await import('./repository-sync.js');
  const repositorySync = startLocalRepositorySync({
    intervalSeconds: syncSeconds,
    onError: (error) => console.error(`repository sync failed: ${(error as Error).message}`),
  });
  stoppers.push(() => Promise.resolve(repositorySync.stop()));

  // Seeded after the API server is up, so the installation webhooks reach the service.
  let seeded = '';
  if (emulatorUrl) {
    await seedDemoWorld(emulatorUrl, {
      ...secrets.githubApp,
      // The secret the service verifies with (file-source.ts: the environment wins over the file).
      webhookSecret:
        (github.kind === 'emulator' ? github.webhookSecret : undefined) ?? secrets.githubApp.webhookSecret,
      callbackUrl: `${apiBaseUrl}/auth/callback`,
      webhookUrl: `${apiBaseUrl}/webhooks/github`,
    });
    seeded = [
      `  GitHub         emulator at ${emulatorUrl} (seeded world: ${emulatorUrl}/_emulator/world)`,
      `                 users ${DEMO_WORLD.user} and ${DEMO_WORLD.teammate}; the App installed on ${DEMO_WORLD.user} and ${DEMO_WORLD.org};`,
      `                 ${DEMO_WORLD.orgWithoutApp} without it (install: ${emulatorUrl}/apps/${secrets.githubApp.slug}/installations/new)`,
    ].join('\n');
  }

  // The EventBridge schedule's stand-in: failed webhook deliveries are redelivered (docs/how-it-works.md "Automatic redelivery").
  const redeliverySeconds = Number(env.REDELIVERY_INTERVAL_SECONDS ?? 60);
  if (!Number.isFinite(redeliverySeconds) || redeliverySeconds < 0)
    throw new Error('REDELIVERY_INTERVAL_SECONDS must be a number of seconds (0 turns redelivery off)');
  if (redeliverySeconds > 0) {
    const redelivery = startRedeliveryTimer({
      intervalSeconds: redeliverySeconds,
      onRun: (run) => {
        if (run.redelivered.length > 0)
          console.log(`webhook redelivery: ${run.redelivered.length} failed deliveries redelivered`);
      },
      onError: (error) => console.error(`webhook redelivery failed: ${(error as Error).message}`),
    });
    stoppers.push(() => Promise.resolve(redelivery.stop()));
  }

  // The token-vending function's every-minute schedule: dedicated tokens revoked at their policy's
  // lifetime (docs/token-vending.md "Lifetimes").
  const lifetime = startLifetimeTimer({
    intervalSeconds: 60,
    onRun: (run) => {
      if (run.revoked + run.alreadyInvalid > 0)
        console.log(`token lifetimes: ${run.revoked + run.alreadyInvalid} vended tokens revoked on time`);
    },
    onError: (error) => console.error(`token lifetime sweep failed: ${(error as Error).message}`),
  });
  stoppers.push(() => Promise.resolve(lifetime.stop()));

  console.log(
    [
      '',
      'GitHub App accounts service is running locally',
      `  Console        ${api.url}/console/`,
      `  API            ${api.url}   (try: curl ${api.url}/health)`,
      `  DynamoDB Local ${dynamoEndpoint}   table "${tableName}" ${table === 'created' ? 'created' : 'reused, data kept'}${dynamodb ? ` in ${dataDir}/dynamodb` : ''}`,
      seeded || `  GitHub         ${githubApiUrl} (real GitHub App settings from the environment)`,
      `  Secrets        ${secretsFile}${secretsCreated ? ' (generated)' : ''}`,
      `  Service auth   SigV4 (execute-api, ${env.AWS_REGION}) on /service/… with "serviceCredentials" in ${secretsFile}: ${(secrets.serviceCredentials ?? []).map((credential) => credential.roleArn).join(', ') || 'none'}`,
      `                 try: npm run vend -- --account <accountId> --repo owner/name --permission contents:read`,
      appKey.line,
      `  Redelivery     ${redeliverySeconds > 0 ? `failed webhook deliveries every ${redeliverySeconds} s` : 'off'}`,
      `  Token lifetime vended tokens of policies under an hour revoked on time (sweep every 60 s)`,
      `  Events         ${eventsTargetUrl ? `posted to ${eventsTargetUrl}, signed (EVENTS_SIGNING_SECRET${env.EVENTS_SIGNING_SECRET ? '' : `: "eventsSigningSecret" in ${secretsFile}`})` : 'printed here (set EVENTS_TARGET_URL to post them)'}`,
      `  Repo sync      ${syncSeconds > 0 ? `every installation every ${syncSeconds} s` : 'on install and link only'}`,
      `  Frontend       ${frontendOrigins}`,
      '',
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

main().catch(async (error: unknown) => {
  console.error(`\nCould not start: ${(error as Error).message}`);
  await stopAll(1);
});
