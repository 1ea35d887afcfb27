import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { accessViolations } from '../../local/access-guard.js';
import { startLocalApiServer, type LocalApiServer } from '../../local/api-server.js';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import type { AppRegistration } from '../../local/github-emulator/world.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../local/github-emulator/server.js';
import {
  generateLocalSecrets,
  LOCAL_PLATFORM_AWS_ACCOUNT_ID,
  newServiceCredential,
  type LocalSecretsFile,
} from '../../local/local-secrets.js';
import { freePort } from '../../local/ports.js';
import type { ServiceCredential } from '../../local/sigv4-auth.js';
import { startLocalRepositorySync, type LocalRepositorySync } from '../../local/repository-sync.js';
import { createTestTable, testDynamoEndpoint } from './dynamodb.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from './dynamodb-fault-proxy.js';
import { ServiceContract } from './service-contract.js';
import { TEST_ABUSE_LIMITS_ENV, TEST_DYNAMODB_ENV } from './test-settings.js';
import { trackChild } from './processes.js';

export const FRONTEND = 'http://app.test';

let contract: ServiceContract | undefined;

export type ServiceFixture = {
  api: LocalApiServer;
  emulator: GitHubEmulator;
  admin: EmulatorAdmin;
  secrets: LocalSecretsFile;
  /** Who may sign the IAM-authorized service routes (SigV4; the first is the builder role). */
  serviceCredentials: ServiceCredential[];
  secretsFile: string;
  table: Awaited<ReturnType<typeof createTestTable>>;
  /** With `dynamoFaults`: the proxy between the handlers and DynamoDB Local. */
  dynamo: DynamoFaultProxy | undefined;
  /** The environment the handlers run with (for child processes sharing the table). */
  env: Record<string, string>;
  /** With `repositorySync`: the in-process stand-in for the repository-sync function's invocations. */
  repositorySync: LocalRepositorySync | undefined;
  /** Answers so far that broke openapi.yaml (close() fails the suite if any). */
  contractViolations: string[];
  close(): Promise<void>;
};

/**
 * The whole service in the test process: the real handlers behind the local API server, a fresh table
 * in DynamoDB Local, and the GitHub emulator with the App registered (webhooks to the API).
 */
export async function startService(
  options: {
    expiringUserTokens?: boolean;
    dynamoFaults?: boolean;
    /** The table's stream (what event delivery reads); off by default: it slows DynamoDB Local's writes. */
    stream?: boolean;
    /**
     * The App's install setting (docs/deploy.md "4. Register the GitHub App"): 'oauth' (the default) ticks
     * "Request user authorization (OAuth) during installation"; 'setup-url' uses the Setup URL instead.
     */
    installMode?: 'oauth' | 'setup-url';
    /** Events the App subscribes to (installations made afterwards copy them), e.g. `['repository']`. */
    appEvents?: string[];
    /**
     * The API's public base URL when a test puts its own front (e.g. HTTPS under another host name)
     * before the local server: cookies, the OAuth callback and the App's URLs follow it.
     */
    apiBaseUrl?: string;
    /** FRONTEND_ORIGINS (the first is home); defaults to FRONTEND. */
    frontendOrigins?: string[];
    /** A built console to serve under /console/, as npm start does. */
    consoleDir?: string;
    /**
     * Run the reconciler in process when asked (install, link), as npm start does (off by default:
     * suites that count GitHub calls see only their own).
     */
    repositorySync?: boolean;
    /** The production abuse limits (their defaults) instead of the suites' generous ones (test-settings.ts). */
    productionLimits?: boolean;
    /** More IAM roles that may sign the service routes (beside the seeded builder role): a credential each. */
    serviceRoles?: string[];
    /** Settings of the handlers' environment over the suites' own (e.g. one abuse limit). */
    env?: Record<string, string>;
  } = {},
): Promise<ServiceFixture> {
  const table = await createTestTable({ stream: options.stream ?? false });
  // The handlers reach DynamoDB Local through a fault-injecting proxy when a test asks for one; the
  // fixture's own `table` always talks to DynamoDB Local directly, to observe what really happened.
  const dynamo = options.dynamoFaults ? await startDynamoFaultProxy(testDynamoEndpoint()) : undefined;
  const emulator = await startGitHubEmulator();
  const admin = new EmulatorAdmin(emulator.url);
  const secrets = generateLocalSecrets();
  secrets.serviceCredentials = [
    ...(secrets.serviceCredentials ?? []),
    ...(options.serviceRoles ?? []).map((roleArn) => newServiceCredential(roleArn)),
  ];
  secrets.githubApp.clientSecret = randomBytes(20).toString('hex');
  const secretsFile = join(mkdtempSync(join(tmpdir(), 'service-')), 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
  const port = await freePort();
  const apiBaseUrl = options.apiBaseUrl ?? `http://localhost:${port}`;
  const frontendOrigins = options.frontendOrigins ?? [FRONTEND];
  const env = {
    TABLE_NAME: table.tableName,
    DYNAMODB_ENDPOINT: dynamo?.endpoint ?? testDynamoEndpoint(),
    API_BASE_URL: apiBaseUrl,
    FRONTEND_ORIGINS: frontendOrigins.join(','),
    GITHUB_API_URL: emulator.url,
    GITHUB_WEB_URL: emulator.url,
    LOCAL_SECRETS_FILE: secretsFile,
    PLATFORM_AWS_ACCOUNT_ID: LOCAL_PLATFORM_AWS_ACCOUNT_ID,
    // The tests' own DynamoDB limits; fault suites test the production ones.
    ...(options.dynamoFaults ? {} : TEST_DYNAMODB_ENV),
    ...(options.productionLimits ? {} : TEST_ABUSE_LIMITS_ENV),
    ...options.env,
  };
  if (options.dynamoFaults) for (const name of Object.keys(TEST_DYNAMODB_ENV)) delete process.env[name];
  if (options.productionLimits)
    for (const name of Object.keys(TEST_ABUSE_LIMITS_ENV)) delete process.env[name];
  Object.assign(process.env, env);
  // Every answer any suite sees is checked against openapi.yaml: the contract is what is observed.
  contract ??= new ServiceContract();
  const contractViolations: string[] = [];
  const api = await startLocalApiServer({
    port,
    frontendOrigins,
    ...(options.consoleDir
      ? { consoleDir: options.consoleDir, canonicalOrigin: new URL(apiBaseUrl).origin }
      : {}),
    onResponse: (answer) => {
      const violation = contract?.violation(answer);
      if (violation) contractViolations.push(violation);
    },
    // API Gateway's IAM authorizer on the service routes, as npm start verifies it.
    serviceCredentials: secrets.serviceCredentials ?? [],
    region: 'us-east-1',
  });
  await registerServiceApp(admin, secrets, apiBaseUrl, {
    ...(options.expiringUserTokens === undefined ? {} : { expiringUserTokens: options.expiringUserTokens }),
    ...(options.installMode === 'setup-url'
      ? { requestOAuthOnInstall: false, setupUrl: `${apiBaseUrl}/auth/callback` }
      : {}),
    ...(options.appEvents ? { events: options.appEvents } : {}),
  });
  const repositorySync = options.repositorySync ? startLocalRepositorySync() : undefined;
  // Refusals of the functions' IAM grants (local/access-guard.ts) from here on fail the suite at close.
  const violationsBefore = accessViolations.length;
  return {
    api,
    emulator,
    admin,
    repositorySync,
    secrets,
    serviceCredentials: secrets.serviceCredentials ?? [],
    secretsFile,
    table,
    dynamo,
    env: { ...env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    contractViolations,
    close: async () => {
      repositorySync?.stop();
      await api.close();
      await emulator.close();
      await dynamo?.close();
      table.close();
      const denied = accessViolations.slice(violationsBefore);
      if (denied.length > 0) {
        throw new Error(`Accesses outside the functions' IAM grants:\n${[...new Set(denied)].join('\n')}`);
      }
      if (contractViolations.length > 0) {
        throw new Error(`Answers that break openapi.yaml:\n${[...new Set(contractViolations)].join('\n')}`);
      }
    },
  };
}

/** Where the API under test listens: the in-process service, or the bundles in a child process. */
export type ApiTarget = { api: { url: string } };

/** Registers the service's App with the emulator: its keys and secrets, webhooks and callback to the API. */
export function registerServiceApp(
  admin: EmulatorAdmin,
  secrets: LocalSecretsFile,
  apiBaseUrl: string,
  extra: Partial<AppRegistration> = {},
) {
  return admin.registerApp({
    id: Number(secrets.githubApp.appId),
    slug: secrets.githubApp.slug,
    clientId: secrets.githubApp.clientId,
    clientSecret: secrets.githubApp.clientSecret,
    publicKey: secrets.githubApp.publicKey,
    webhookUrl: `${apiBaseUrl}/webhooks/github`,
    webhookSecret: secrets.githubApp.webhookSecret,
    callbackUrls: [`${apiBaseUrl}/auth/callback`],
    ...extra,
  });
}

export type Browser = { cookie: string | undefined; sessionId: string | undefined };

function cookieFrom(response: Response, name = 'session'): string | undefined {
  const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  return header?.split(';')[0];
}

/** The `name=value` pairs a response sets (what a browser would send back). */
export function cookiesSet(response: Response): string[] {
  return response.headers.getSetCookie().map((cookie) => cookie.split(';')[0] ?? '');
}

/**
 * Signs `login` in the way a browser does: /auth/login → GitHub's authorize page (the emulator picks
 * the user from `login=`) → /auth/callback → back on the frontend with a session cookie.
 */
export async function signIn(fx: ApiTarget, login: string, returnTo = `${FRONTEND}/home`) {
  // A user whose sign-in met DynamoDB too slow (503 service_unavailable: suites with production DynamoDB
  // limits on a busy machine) signs in again; any other outcome is the caller's to check.
  for (let attempt = 1; ; attempt++) {
    const result = await signInOnce(fx, login, returnTo);
    if (result.status !== 503 || result.error !== 'service_unavailable' || attempt >= 4) return result;
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
  }
}

async function signInOnce(fx: ApiTarget, login: string, returnTo: string) {
  const start = await fetch(`${fx.api.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, {
    redirect: 'manual',
  });
  if (start.status !== 302) throw new Error(`/auth/login answered ${start.status}: ${await start.text()}`);
  const authorize = new URL(start.headers.get('location') ?? '');
  authorize.searchParams.set('login', login);
  // The browser keeps the sealed sign-in cookie /auth/login set and sends it back on the callback.
  const flowCookie = cookieFrom(start, 'oauth_login') ?? '';
  const github = await fetch(authorize, { redirect: 'manual' });
  const callback = github.headers.get('location') ?? '';
  const done = await fetch(callback, { redirect: 'manual', headers: { cookie: flowCookie } });
  const cookie = cookieFrom(done);
  const error = done.status === 503 ? ((await done.clone().json()) as { error?: string }).error : undefined;
  return {
    flowCookie,
    status: done.status,
    error,
    location: done.headers.get('location') ?? '',
    cookie,
    sessionId: cookie?.split('=')[1],
    authorizeUrl: authorize,
    callbackUrl: callback,
  };
}

/**
 * Follows an account's installUrl as a browser does: the service route answers with GitHub's install
 * page and a sealed install cookie. Returns GitHub's URL and the cookies to send back on the callback.
 */
export async function startInstall(session: { sessionId?: string | undefined }, installUrl: string) {
  const sessionCookie = `session=${session.sessionId ?? ''}`;
  const response = await fetch(installUrl, { redirect: 'manual', headers: { cookie: sessionCookie } });
  if (response.status !== 302)
    throw new Error(`installUrl answered ${response.status}: ${await response.text()}`);
  return {
    githubUrl: new URL(response.headers.get('location') ?? ''),
    cookie: [sessionCookie, cookieFrom(response, 'oauth_install') ?? ''].join('; '),
  };
}

/** fetch against the API with a session, as a non-browser client (Bearer) or a browser (cookie + Origin). */
export function api(fx: ApiTarget, session: { sessionId?: string | undefined }) {
  return (path: string, init: RequestInit & { json?: unknown; asBrowser?: boolean } = {}) => {
    const headers = new Headers(init.headers);
    if (init.asBrowser) {
      headers.set('cookie', `session=${session.sessionId ?? ''}`);
      if (!headers.has('origin')) headers.set('origin', FRONTEND);
    } else if (session.sessionId) {
      headers.set('authorization', `Bearer ${session.sessionId}`);
    }
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${fx.api.url}${path}`, {
      ...init,
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      redirect: 'manual',
    });
  };
}

/** Starts `count` extra API processes (separate containers) against the fixture's table and GitHub. */
export async function startWorkers(
  fx: ServiceFixture,
  count: number,
): Promise<{ urls: string[]; stop(): void }> {
  const { spawn } = await import('node:child_process');
  const { resolve } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const root = resolve(fileURLToPath(import.meta.url), '../../..');
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'test/support/api-worker.ts'], {
      cwd: root,
      env: { ...process.env, ...fx.env, NODE_OPTIONS: '', POWERTOOLS_LOG_LEVEL: 'WARN' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  for (const child of children) trackChild('API worker', child);
  const urls = await Promise.all(
    children.map(
      (child) =>
        new Promise<string>((done, fail) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const ready = /READY (\S+)/.exec(out);
            if (ready?.[1]) done(ready[1]);
          });
          child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('exit', (code) => fail(new Error(`worker exited ${code}: ${out}`)));
        }),
    ),
  );
  return { urls, stop: () => children.forEach((child) => child.kill('SIGTERM')) };
}

/** A webhook delivery as GitHub sends it: signed with the App's webhook secret over the exact body. */
export async function sendWebhook(
  fx: ApiTarget & { secrets: LocalSecretsFile },
  event: string,
  payload: unknown,
  deliveryId: string = randomUUID(),
): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${fx.api.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': await sign(fx.secrets.githubApp.webhookSecret, body),
      'user-agent': 'GitHub-Hookshot/test',
    },
    body,
  });
}

/** sendWebhook, answered as status and JSON body. */
export async function postWebhook(
  fx: ApiTarget & { secrets: LocalSecretsFile },
  event: string,
  payload: unknown,
  deliveryId?: string,
) {
  const response = await sendWebhook(fx, event, payload, deliveryId);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
