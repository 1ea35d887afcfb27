import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../local/ports.js';
import { TEST_ABUSE_LIMITS_ENV, TEST_DYNAMODB_ENV } from './test-settings.js';
import { trackChild } from './processes.js';

/** How long `npm start` may take to answer /health: DynamoDB Local's JVM starts slowly on a busy machine. */
export const STARTUP_DEADLINE_MS = 180_000;
/** The timeout of a test or hook that starts `npm start`: its startup deadline, then time for the test. */
export const NPM_START_TIMEOUT_MS = STARTUP_DEADLINE_MS + 60_000;

const root = resolve(fileURLToPath(import.meta.url), '../../..');

const GITHUB_SETTINGS = [
  'GITHUB_APP_ID',
  'GITHUB_APP_SLUG',
  'GITHUB_CLIENT_ID',
  'GITHUB_CLIENT_SECRET',
  'GITHUB_PRIVATE_KEY',
  'GITHUB_WEBHOOK_SECRET',
];

export type NpmStart = {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  emulatorUrl: string;
  dynamoEndpoint: string;
};

/**
 * Runs `npm start`'s entry point (`local/start.ts`, as `npm start` does) in a child process with its own
 * ports and data folder, and waits until /health answers and the banner is out.
 */
export async function startNpmStart(options: {
  dataDir: string;
  port?: number;
  dynamoPort?: number;
  emulatorPort?: number;
  env?: Record<string, string>;
}): Promise<NpmStart> {
  const port = options.port ?? (await freePort());
  const dynamoPort = options.dynamoPort ?? (await freePort());
  const emulatorPort = options.emulatorPort ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DYNAMODB_PORT: String(dynamoPort),
    GITHUB_EMULATOR_PORT: String(emulatorPort),
    LOCAL_DATA_DIR: options.dataDir,
    // The suite's DynamoDB limits (test-settings.ts), not the production constants: a busy 2-core
    // machine makes DynamoDB Local slower than a 1 s timeout allows, which is not what these tests test.
    ...TEST_DYNAMODB_ENV,
    // Test users act far more often than people: the abuse limits are not what these suites test.
    ...TEST_ABUSE_LIMITS_ENV,
  };
  // Nothing of the test process's own settings leaks in; only what the test asks for.
  for (const name of [
    ...GITHUB_SETTINGS,
    'DYNAMODB_ENDPOINT',
    'GITHUB_API_URL',
    'GITHUB_WEB_URL',
    'TABLE_NAME',
  ])
    delete env[name];
  for (const name of ['LOCAL_SECRETS_FILE', 'API_BASE_URL', 'FRONTEND_ORIGINS']) delete env[name];
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for the service
  Object.assign(env, options.env);
  // As package.json's start script: node loads tsx itself, with no relay process between Ctrl-C and
  // local/start.ts (tsx's CLI SIGKILLs a child whose event loop is busy for 60 ms when a signal comes).
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Ctrl-C if the test file ends without stopping it (a failed test, a half-started fixture).
  trackChild('npm start', child, 'SIGINT');
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Seeding sends webhooks and syncs repositories: on 2 shared, busy cores that alone can pass a minute.
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    try {
      const response = await fetch(`http://localhost:${port}/health`, { signal: AbortSignal.timeout(1000) });
      // Ready once /health answers and the banner (printed after seeding) is out.
      if (response.status === 200 && output.includes('Ctrl-C stops everything'))
        return {
          child,
          output: () => output,
          apiUrl: `http://localhost:${port}`,
          emulatorUrl: `http://localhost:${emulatorPort}`,
          dynamoEndpoint: `http://127.0.0.1:${dynamoPort}`,
        };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`no /health and banner within ${STARTUP_DEADLINE_MS / 1000} s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Ctrl-C, as a person would; resolves with the exit code. */
export async function stopNpmStart(started: Pick<NpmStart, 'child'>): Promise<number | null> {
  if (started.child.exitCode !== null) return started.child.exitCode;
  const exited = new Promise<number | null>((r) => started.child.once('exit', (code) => r(code)));
  started.child.kill('SIGINT');
  return exited;
}
