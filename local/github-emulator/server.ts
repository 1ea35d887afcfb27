import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isNotModified, validatorsFor } from './conditional.js';
import { GitHubError } from './errors.js';
import { adminRoutes, type AdminState, type CallRecord, type Fault } from './handlers/admin.js';
import { avatarRoutes } from './handlers/avatars.js';
import { appManifestRoutes } from './handlers/app-manifests.js';
import { appRoutes } from './handlers/app.js';
import { bulkRoutes } from './handlers/bulk.js';
import { installationRoutes } from './handlers/installation.js';
import { limitRoutes } from './handlers/limits.js';
import { gitTreeRoutes } from './handlers/git-trees.js';
import { oauthRoutes } from './handlers/oauth.js';
import { gitDataRoutes } from './handlers/git-data.js';
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
import { RateLimiter } from './rate-limits.js';
import { Serializer } from './serialize.js';
import { enforceSso, ssoRoutes } from './sso.js';
import { tokenFormatFromEnv, type InstallationTokenFormat } from './token-format.js';
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
  /** Installation tokens' format; default GITHUB_EMULATOR_TOKEN_FORMAT, else `new` (token-format.ts). */
  tokenFormat?: InstallationTokenFormat;
};

const MAX_BODY = 30 * 1024 * 1024;

/**
 * Starts the GitHub emulator: the part of GitHub's REST API, OAuth web flow and webhooks this service
 * uses, answering with GitHub's shapes, statuses and error bodies (docs/github-emulator.md).
 */
export async function startGitHubEmulator(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const world = new World();
  world.installationTokenFormat = options.tokenFormat ?? tokenFormatFromEnv();
  const limiter = new RateLimiter(world.clock);
  let baseUrl = '';
  const serializer = new Serializer(world, () => baseUrl);
  const webhooks = new Webhooks(world);
  const context: EmulatorContext = { world, serializer, webhooks, baseUrl: () => baseUrl };
  const state: AdminState = {
    faults: [],
    calls: [],
    nextFaultId: 1,
    latencyMs: 0,
    latencyMaxMs: 0,
    limits: limiter,
  };
  const routes: Route[] = [
    ...appRoutes,
    ...appManifestRoutes,
    ...userRoutes,
    ...orgRoutes,
    ...usersRoutes,
    ...repoRoutes,
    ...gitDataRoutes,
    ...installationRoutes,
    ...repoSettingsRoutes,
    ...templateRoutes,
    ...gitTreeRoutes(),
    ...oauthRoutes,
    ...ssoRoutes,
    ...adminRoutes(state),
    ...bulkRoutes,
    ...limitRoutes(limiter),
    ...avatarRoutes,
  ];

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
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    // GitHub's limits (rate-limits.ts): counted on arrival, so calls in flight count as they overlap.
    const admission =
      route?.kind === 'admin'
        ? undefined
        : limiter.admit({
            method,
            template: route ? openApiTemplate(route.template) : url.pathname,
            kind: route?.kind ?? 'rest',
            credential,
            requestId,
          });
    const ticket = admission instanceof GitHubError ? undefined : admission;
    try {
      await answer(req, res, { url, method, raw, route, params, credential, requestId, admission, startMs });
    } finally {
      ticket?.release();
    }
  }

  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    call: {
      url: URL;
      method: string;
      raw: Buffer | 'too_large';
      route: Route | undefined;
      params: Record<string, string>;
      credential: Credential;
      requestId: string;
      admission: ReturnType<RateLimiter['admit']> | undefined;
      startMs: number;
    },
  ): Promise<void> {
    const { url, method, raw, route, params, credential, admission, startMs } = call;
    // The configured latency, before GitHub acts: parallel calls overlap in it, sequential ones add up.
    if (route && route.kind !== 'admin' && state.latencyMaxMs > 0)
      await new Promise((resolve) => setTimeout(resolve, callLatencyMs(state)));

    let response: EmulatorResponse;
    let faultId: number | undefined;
    let cutBody: Fault | undefined;
    let body: Record<string, unknown> | undefined;
    try {
      if (admission instanceof GitHubError) throw admission;
      if (raw === 'too_large') throw new GitHubError(413, 'Request body too large');
      if (!route) throw new GitHubError(404, 'Not Found');
      body = parseBody(raw, String(req.headers['content-type'] ?? ''));
      const request: EmulatorRequest = { method, url, params, headers: req.headers, body, credential };
      // GitHub refuses an SSO organisation's resources before anything else (a fault is not spent on it).
      enforceSso(route, request, context);
      const fault = takeFault(method, route, url.pathname);
      if (fault && ACTING_MODES.has(fault.mode)) {
        // GitHub does the work; only its answer is late, lost or cut off.
        faultId = fault.id;
        if (fault.mode === 'cut-body' || fault.mode === 'stall-body') cutBody = fault;
        try {
          response = await route.handle(request, context);
        } catch (error) {
          if (!(error instanceof GitHubError)) throw error;
          response = { status: error.status, body: error.body(), headers: error.headers };
        }
        if (fault.delayMs && !cutBody) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
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

    let status = response.status;
    const headers: Record<string, string> = { ...response.headers };
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
    // Conditional requests (conditional.ts): validators on GET answers, 304 without a body when they match.
    if (route?.kind === 'rest' && method === 'GET' && status === 200 && payload !== '') {
      Object.assign(headers, validatorsFor(payload, response.body, headers.Link), {
        Vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      });
      if (isNotModified(req.headers, { ETag: headers.ETag ?? '', ...pick(headers, 'Last-Modified') })) {
        status = 304;
        payload = '';
        delete headers['Content-Type'];
      }
    }
    const common: Record<string, string> = {
      Date: new Date(world.clock.nowMs()).toUTCString(),
      'x-github-request-id': call.requestId,
      ...(admission && !(admission instanceof GitHubError) ? admission.headers(status) : {}),
    };
    if (route)
      record(
        method,
        route,
        url.pathname,
        credential,
        status,
        body,
        faultId,
        status === 304 ? undefined : response.body,
        startMs,
      );
    if (cutBody) {
      sendHalf(req, res, status, { ...common, ...headers }, payload, cutBody);
      return;
    }
    res.writeHead(status, { ...common, ...headers }).end(payload);
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
    // Which installation's token made the call: the bench measures concurrency per installation.
    if (credential.kind === 'installation_token') call.installationId = credential.installation.id;
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
  // Idle keep-alive connections are closed after a minute, as large front ends do, not Node's 5 s: a
  // client reusing a connection the server is closing at that instant sees ECONNRESET, a race that a
  // stalled event loop on a busy machine makes likely with 5 s and that no test is about.
  server.keepAliveTimeout = 60_000;
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

/** Fault modes in which GitHub acts on the call before its answer goes wrong. */
const ACTING_MODES: ReadonlySet<string> = new Set([
  'act-then-delay',
  'act-then-reset',
  'cut-body',
  'stall-body',
]);

/**
 * An answer that cannot be read (`cut-body`, `stall-body`): status and headers promising the whole
 * body (Content-Length), then half of it; then the connection drops, at once or after `delayMs`, or
 * (`stall-body` without a delay) stays silent until the client gives up.
 */
function sendHalf(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  payload: string,
  fault: Fault,
): void {
  const bytes = Buffer.from(payload || '{}');
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  const drop = () => req.socket.destroy();
  // Dropped once the half is on the wire (destroying earlier would discard it with the headers).
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
    if (fault.mode === 'cut-body') drop();
    else if (fault.delayMs > 0) setTimeout(drop, fault.delayMs).unref();
  });
}

/** The latency of one call: fixed, or uniformly random in [latencyMs, latencyMaxMs]. */
function callLatencyMs(state: AdminState): number {
  return state.latencyMs + Math.round(Math.random() * Math.max(0, state.latencyMaxMs - state.latencyMs));
}

function pick(headers: Record<string, string>, name: string): Record<string, string> {
  const value = headers[name];
  return value === undefined ? {} : { [name]: value };
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
