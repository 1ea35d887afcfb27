import type { IncomingHttpHeaders } from 'node:http';
import {
  GitHubError,
  badCredentials,
  jwtRequired,
  notAccessibleByIntegration,
  requiresAuthentication,
} from './errors.js';
import { verifyAppJwt } from './jwt.js';
import type { Serializer } from './serialize.js';
import type { Webhooks } from './webhooks.js';
import type {
  EmulatedAccount,
  EmulatedApp,
  EmulatedInstallation,
  InstallationToken,
  UserToken,
  World,
} from './world.js';

export type Credential =
  | { kind: 'none' }
  | { kind: 'app_jwt'; app: EmulatedApp }
  | { kind: 'installation_token'; token: InstallationToken; installation: EmulatedInstallation }
  | { kind: 'user_token'; token: UserToken; user: EmulatedAccount }
  | { kind: 'client_basic'; clientId: string; clientSecret: string }
  | { kind: 'invalid'; error: GitHubError };

export type EmulatorRequest = {
  method: string;
  url: URL;
  /** Path parameters, decoded. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** JSON or form body as an object; undefined when there is none. */
  body: Record<string, unknown> | undefined;
  credential: Credential;
};

export type EmulatorResponse = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** An HTML page instead of JSON (the browser flows). */
  html?: string;
  /** A raw text body with its own content type (form-encoded OAuth answers). */
  text?: { contentType: string; body: string };
};

export type EmulatorContext = {
  world: World;
  serializer: Serializer;
  webhooks: Webhooks;
  baseUrl: () => string;
};

export type RouteKind = 'rest' | 'oauth' | 'web' | 'admin';

export type Route = {
  method: string;
  /** GitHub's OpenAPI path template; `{name+}` matches the rest of the path (file paths, refs). */
  template: string;
  kind: RouteKind;
  handle: (
    request: EmulatorRequest,
    context: EmulatorContext,
  ) => EmulatorResponse | Promise<EmulatorResponse>;
};

/** The template as GitHub's OpenAPI description writes it (no `+`). */
export const openApiTemplate = (template: string) => template.replace(/\{(\w+)\+\}/g, '{$1}');

export function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const templateParts = template.split('/').slice(1);
  const pathParts = path.split('/').slice(1);
  const params: Record<string, string> = {};
  for (let index = 0; index < templateParts.length; index++) {
    const part = templateParts[index] ?? '';
    const greedy = /^\{(\w+)\+\}$/.exec(part);
    if (greedy?.[1]) {
      const rest = pathParts.slice(index);
      if (rest.length === 0 || rest.some((segment) => segment === '')) return undefined;
      params[greedy[1]] = rest.map(decodeURIComponent).join('/');
      return params;
    }
    const segment = pathParts[index];
    if (segment === undefined || segment === '') return undefined;
    const capture = /^\{(\w+)\}$/.exec(part);
    if (capture?.[1]) params[capture[1]] = decodeURIComponent(segment);
    else if (part !== segment) return undefined;
  }
  return templateParts.length === pathParts.length ? params : undefined;
}

/** Works out who is calling from the Authorization header, as GitHub does. */
export function resolveCredential(world: World, authorization: string | undefined): Credential {
  if (!authorization) return { kind: 'none' };
  const [scheme = '', value = ''] = authorization.trim().split(/\s+/, 2);
  const lowered = scheme.toLowerCase();
  if (lowered === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const index = decoded.indexOf(':');
    if (index < 0) return { kind: 'invalid', error: badCredentials() };
    return {
      kind: 'client_basic',
      clientId: decoded.slice(0, index),
      clientSecret: decoded.slice(index + 1),
    };
  }
  if (lowered !== 'bearer' && lowered !== 'token') return { kind: 'invalid', error: badCredentials() };
  // Before the JWT test: a new-format installation token (`ghs_<appId>_<JWT>`) has dots too.
  if (value.startsWith('ghs_')) {
    const token = world.liveInstallationToken(value);
    const installation = token ? world.installations.get(token.installationId) : undefined;
    if (!token || !installation) return { kind: 'invalid', error: badCredentials() };
    return { kind: 'installation_token', token, installation };
  }
  if (value.split('.').length === 3) {
    try {
      return { kind: 'app_jwt', app: verifyAppJwt(world, value) };
    } catch (error) {
      return { kind: 'invalid', error: error instanceof GitHubError ? error : badCredentials() };
    }
  }
  const token = world.liveUserToken(value);
  const user = token ? world.accounts.get(token.userId) : undefined;
  if (!token || !user) return { kind: 'invalid', error: badCredentials() };
  return { kind: 'user_token', token, user };
}

export function requireApp(request: EmulatorRequest): EmulatedApp {
  const { credential } = request;
  if (credential.kind === 'app_jwt') return credential.app;
  if (credential.kind === 'invalid') throw credential.error;
  throw jwtRequired();
}

export function requireUser(request: EmulatorRequest): Extract<Credential, { kind: 'user_token' }> {
  const { credential } = request;
  if (credential.kind === 'user_token') return credential;
  if (credential.kind === 'invalid') throw credential.error;
  if (credential.kind === 'none') throw requiresAuthentication();
  throw notAccessibleByIntegration();
}

export function requireToken(
  request: EmulatorRequest,
): Extract<Credential, { kind: 'user_token' } | { kind: 'installation_token' }> {
  const { credential } = request;
  if (credential.kind === 'user_token' || credential.kind === 'installation_token') return credential;
  if (credential.kind === 'invalid') throw credential.error;
  if (credential.kind === 'none') throw requiresAuthentication();
  throw notAccessibleByIntegration();
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): EmulatorResponse => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

export const redirectTo = (location: string): EmulatorResponse => ({
  status: 302,
  headers: { Location: location },
});

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title: string, body: string): EmulatorResponse {
  return {
    status: 200,
    html: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}a.button{display:block;padding:.6rem 1rem;margin:.4rem 0;border:1px solid #d0d7de;border-radius:6px;text-decoration:none;color:#1f2328}a.button:hover{background:#f6f8fa}small{color:#59636e}</style></head><body><h1>${escapeHtml(title)}</h1>${body}<p><small>GitHub emulator</small></p></body></html>`,
  };
}

export function stringField(body: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = body?.[name];
  return typeof value === 'string' ? value : undefined;
}
