import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubError } from './errors.js';
import { adminRoutes, type AdminState, type CallRecord, type Fault } from './handlers/admin.js';
import { appManifestRoutes } from './handlers/app-manifests.js';
import { appRoutes } from './handlers/app.js';
import { bulkRoutes } from './handlers/bulk.js';
import { installationRoutes } from './handlers/installation.js';
import { gitTreeRoutes } from './handlers/git-trees.js';
import { oauthRoutes } from './handlers/oauth.js';
import { repoRoutes } from './handlers/repos.js';
import { repoSettingsRoutes } from './handlers/repo-settings.js';
import { orgRoutes } from './handlers/orgs.js';
import { templateRoutes } from './handlers/templates.js';
import { userRoutes } from './handlers/user.js';
import { usersRoutes } from './handlers/users.js';
import {
  matchTemplate,
  openApiTemplate,
  resolveCredential,
  type Credential,
  type EmulatorContext,
  type EmulatorRequest,
  type EmulatorResponse,
  type Route,
} from './http.js';
import { Serializer } from './serialize.js';
import { Webhooks } from './webhooks.js';
import { World } from './world.js';

export type GitHubEmulator = {
  url: string;
  world: World;
  webhooks: Webhooks;
  state: AdminState;
  /** Every route the emulator serves (REST ones carry GitHub's OpenAPI templates). */
  routes: readonly Route[];
  close(): Promise<void>;
};

export type GitHubEmulatorOptions = {
  port?: number;
  host?: string;
  /** Keep response bodies in the call log (tests validate them against GitHub's OpenAPI description). */
  recordBodies?: boolean;
};

const MAX_BODY = 30 * 1024 * 1024;
const RATE_LIMIT = { authenticated: 5000, anonymous: 60 };

function credentialKey(credential: Credential): string {
  switch (credential.kind) {
    case 'app_jwt':
      return `app:${credential.app.id}`;
    case 'installation_token':
      return `installation:${credential.installation.id}`;
    case 'user_token':
      return `user:${credential.user.id}`;
    case 'client_basic':
      return `client:${credential.clientId}`;
    default:
      return 'anonymous';
  }
}

/**
 * Starts the GitHub emulator: the part of GitHub's REST API, OAuth web flow and webhooks this service
 * uses, answering with GitHub's shapes, statuses and error bodies (README "GitHub emulator").
 */
export async function startGitHubEmulator(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const world = new World();
  let baseUrl = '';
  const serializer = new Serializer(world, () => baseUrl);
  const webhooks = new Webhooks(world);
  const context: EmulatorContext = { world, serializer, webhooks, baseUrl: () => baseUrl };
  const state: AdminState = { faults: [], calls: [], nextFaultId: 1, latencyMs: 0, latencyMaxMs: 0 };
  const routes: Route[] = [
    ...appRoutes,
    ...appManifestRoutes,
    ...userRoutes,
    ...orgRoutes,
    ...usersRoutes,
    ...repoRoutes,
    ...installationRoutes,
    ...repoSettingsRoutes,
    ...templateRoutes,
    ...gitTreeRoutes(),
    ...oauthRoutes,
    ...adminRoutes(state),
    ...bulkRoutes,
  ];
  const rateLimits = new Map<string, { used: number; resetAt: number }>();

  const takeFault = (method: string, route: Route, path: string): Fault | undefined => {
    if (route.kind === 'admin') return undefined;
    const template = openApiTemplate(route.template);
    const fault = state.faults.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (candidate.method === undefined || candidate.method === method) &&
        (candidate.route === undefined || candidate.route === template || candidate.route === path),
    );
    if (fault) {
      fault.remaining--;
      if (fault.remaining === 0) state.faults.splice(state.faults.indexOf(fault), 1);
    }
    return fault;
  };

  const rateLimitHeaders = (credential: Credential): Record<string, string> => {
    const key = credentialKey(credential);
    const limit = key === 'anonymous' ? RATE_LIMIT.anonymous : RATE_LIMIT.authenticated;
    const now = world.clock.nowSeconds();
    let bucket = rateLimits.get(key);
    if (!bucket || bucket.resetAt <= now) bucket = { used: 0, resetAt: now + 3600 };
    bucket.used++;
    rateLimits.set(key, bucket);
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - bucket.used)),
      'x-ratelimit-reset': String(bucket.resetAt),
      'x-ratelimit-used': String(bucket.used),
      'x-ratelimit-resource': 'core',
    };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startMs = Date.now();
    const url = new URL(req.url ?? '/', baseUrl || `http://${req.headers.host ?? 'localhost'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    let route: Route | undefined;
    let params: Record<string, string> = {};
    for (const candidate of routes) {
      if (candidate.method !== method) continue;
      const match = matchTemplate(candidate.template, url.pathname);
      if (match) {
        route = candidate;
        params = match;
        break;
      }
    }
    const credential =
      route?.kind === 'admin'
        ? ({ kind: 'none' } as const)
        : resolveCredential(world, req.headers.authorization);
    // The configured latency, before GitHub acts: parallel calls overlap in it, sequential ones add up.
    if (route && route.kind !== 'admin' && state.latencyMaxMs > 0)
      await new Promise((resolve) => setTimeout(resolve, callLatencyMs(state)));
    const common: Record<string, string> = {
      Date: new Date(world.clock.nowMs()).toUTCString(),
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      ...(route?.kind === 'admin' ? {} : rateLimitHeaders(credential)),
    };

    let response: EmulatorResponse;
    let faultId: number | undefined;
    let body: Record<string, unknown> | undefined;
    try {
      if (raw === 'too_large') throw new GitHubError(413, 'Request body too large');
      if (!route) throw new GitHubError(404, 'Not Found');
      body = parseBody(raw, String(req.headers['content-type'] ?? ''));
      const fault = takeFault(method, route, url.pathname);
      const request: EmulatorRequest = { method, url, params, headers: req.headers, body, credential };
      if (fault?.mode === 'act-then-delay' || fault?.mode === 'act-then-reset') {
        // GitHub does the work; only its answer is late or lost.
        faultId = fault.id;
        try {
          response = await route.handle(request, context);
        } catch (error) {
          if (!(error instanceof GitHubError)) throw error;
          response = { status: error.status, body: error.body(), headers: error.headers };
        }
        if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (fault.mode === 'act-then-reset') {
          record(method, route, url.pathname, credential, 0, body, faultId, undefined, startMs);
          req.socket.destroy();
          return;
        }
      } else if (fault) {
        faultId = fault.id;
        if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (fault.mode === 'reset') {
          record(method, route, url.pathname, credential, 0, body, faultId, undefined, startMs);
          req.socket.destroy();
          return;
        }
        response = { status: fault.status, body: fault.body, headers: fault.headers };
      } else {
        response = await route.handle(request, context);
      }
    } catch (error) {
      if (error instanceof GitHubError) {
        response = { status: error.status, body: error.body(), headers: error.headers };
      } else if (error instanceof SyntaxError) {
        response = {
          status: 400,
          body: {
            message: 'Problems parsing JSON',
            documentation_url: 'https://docs.github.com/rest',
            status: '400',
          },
        };
      } else {
        process.stderr.write(`github emulator: ${(error as Error).stack ?? String(error)}\n`);
        response = { status: 500, body: { message: 'Server Error' } };
      }
    }

    const headers: Record<string, string> = { ...common, ...response.headers };
    let payload = '';
    if (response.html !== undefined) {
      headers['Content-Type'] = 'text/html; charset=utf-8';
      payload = response.html;
    } else if (response.text !== undefined) {
      headers['Content-Type'] = response.text.contentType;
      payload = response.text.body;
    } else if (response.body !== undefined && response.status !== 204) {
      headers['Content-Type'] = 'application/json; charset=utf-8';
      payload = JSON.stringify(response.body);
    }
    if (route)
      record(method, route, url.pathname, credential, response.status, body, faultId, response.body, startMs);
    res.writeHead(response.status, headers).end(payload);
  }

  function record(
    method: string,
    route: Route,
    path: string,
    credential: Credential,
    status: number,
    requestBody: Record<string, unknown> | undefined,
    fault: number | undefined,
    responseBody: unknown,
    startMs: number,
  ): void {
    if (route.kind === 'admin') return;
    const call: CallRecord = {
      method,
      route: openApiTemplate(route.template),
      path,
      credential: credential.kind,
      status,
      at: world.clock.iso(),
      startMs,
      endMs: Date.now(),
    };
    if (route.template === '/login/oauth/access_token') {
      call.grantType =
        typeof requestBody?.grant_type === 'string' ? requestBody.grant_type : 'authorization_code';
    }
    if (fault !== undefined) call.fault = fault;
    if (options.recordBodies) call.body = responseBody;
    state.calls.push(call);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`github emulator: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent)
        res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"message":"Server Error"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  baseUrl = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    world,
    webhooks,
    state,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The latency of one call: fixed, or uniformly random in [latencyMs, latencyMaxMs]. */
function callLatencyMs(state: AdminState): number {
  return state.latencyMs + Math.round(Math.random() * Math.max(0, state.latencyMaxMs - state.latencyMs));
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** JSON (GitHub's API) or form-encoded (OAuth clients) bodies; malformed JSON throws SyntaxError. */
function parseBody(raw: Buffer, contentType: string): Record<string, unknown> | undefined {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GitHubError(400, 'Problems parsing JSON');
  }
  return parsed as Record<string, unknown>;
}
