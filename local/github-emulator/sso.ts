import { randomBytes } from 'node:crypto';
import { GitHubError, notFound } from './errors.js';
import {
  escapeHtml,
  json,
  page,
  type Credential,
  type EmulatorContext,
  type EmulatorRequest,
  type EmulatorResponse,
  type Route,
} from './http.js';
import type { EmulatedAccount, EmulatedInstallation, World } from './world.js';

/**
 * SAML single sign-on, as GitHub enforces it on an organisation (docs.github.com "Authenticating to the
 * REST API", "PATs and SAML SSO"; "Best practices for creating a GitHub App": a user access token reaches
 * an SSO organisation only while the user has an active SAML session there).
 *
 * - Only user tokens (ghu_, OAuth) are subject to it: installation tokens and App JWTs are "automatically
 *   authorized for SAML SSO".
 * - A member without a SAML session who touches one of the organisation's resources gets 403, GitHub's
 *   message and `X-GitHub-SSO: required; url=<base>/orgs/<org>/sso?authorization_request=<id>`.
 * - A list across organisations leaves the organisation's results out and says so:
 *   `X-GitHub-SSO: partial-results; organizations=<id>,<id>`.
 * - Authorising (visiting the url, or the control route) starts the user's SAML session for the
 *   organisation: their current and later tokens reach it until it is revoked.
 */
type OrgSso = {
  required: boolean;
  /** Users with an active SAML session for the organisation. */
  sessions: Set<number>;
};

type AuthorizationRequest = { orgId: number; userId: number };

/**
 * Keyed by the account objects themselves, so `POST /_emulator/reset` (which replaces every account)
 * forgets it without the world having to know about SSO.
 */
const orgs = new WeakMap<EmulatedAccount, OrgSso>();
const requests = new WeakMap<World, Map<string, AuthorizationRequest>>();

function stateOf(org: EmulatedAccount): OrgSso {
  let state = orgs.get(org);
  if (!state) {
    state = { required: false, sessions: new Set() };
    orgs.set(org, state);
  }
  return state;
}

function requestsOf(world: World): Map<string, AuthorizationRequest> {
  let map = requests.get(world);
  if (!map) {
    map = new Map();
    requests.set(world, map);
  }
  return map;
}

export const SSO_MESSAGE =
  'Resource protected by organization SAML enforcement. You must grant your OAuth token access to this organization.';
const SSO_DOCUMENTATION =
  'https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/';

/** True when this user, acting with a user token, must first sign in to `org` with SAML. */
export function needsSso(org: EmulatedAccount, userId: number): boolean {
  if (org.type !== 'Organization') return false;
  const state = orgs.get(org);
  // SSO guards the organisation's members; anyone else sees what the public sees.
  return state?.required === true && org.memberIds.has(userId) && !state.sessions.has(userId);
}

/** GitHub's 403 for an SSO organisation's resource, with a fresh authorization request url. */
export function ssoRequiredError(
  context: EmulatorContext,
  org: EmulatedAccount,
  userId: number,
): GitHubError {
  const id = randomBytes(16).toString('hex');
  requestsOf(context.world).set(id, { orgId: org.id, userId });
  const url = `${context.baseUrl()}/orgs/${encodeURIComponent(org.login)}/sso?authorization_request=${id}`;
  return new GitHubError(
    403,
    SSO_MESSAGE,
    { documentation_url: SSO_DOCUMENTATION },
    { 'X-GitHub-SSO': `required; url=${url}` },
  );
}

/** The organisation a REST route acts on, from its path parameters (undefined: none, or not an org). */
function organisationOf(request: EmulatorRequest, world: World): EmulatedAccount | undefined {
  const { params } = request;
  const login = params.org ?? params.owner ?? params.template_owner;
  let account = login === undefined ? undefined : world.accountByLogin(login);
  if (params.installation_id !== undefined && request.url.pathname.startsWith('/user/installations/')) {
    const installation = world.installations.get(Number(params.installation_id));
    account = installation ? world.accounts.get(installation.accountId) : undefined;
  }
  return account?.type === 'Organization' ? account : undefined;
}

/**
 * Refuses a user token on an SSO organisation's resources (repositories it owns, /orgs/{org}/…,
 * /user/memberships/orgs/{org}, repository creation there, its installation's repositories). Called
 * for every REST route before it runs; lists (GET /user/installations) filter instead (ssoPartial).
 */
export function enforceSso(route: Route, request: EmulatorRequest, context: EmulatorContext): void {
  if (route.kind !== 'rest' || request.credential.kind !== 'user_token') return;
  const org = organisationOf(request, context.world);
  const userId = request.credential.user.id;
  if (org && needsSso(org, userId)) throw ssoRequiredError(context, org, userId);
}

/**
 * For a list across organisations: the installations a user token may see, and the header GitHub adds
 * when it left some organisations' results out.
 */
export function ssoPartial(
  credential: Extract<Credential, { kind: 'user_token' }>,
  installations: EmulatedInstallation[],
  world: World,
): { visible: EmulatedInstallation[]; headers: Record<string, string> } {
  const withheld = new Set<number>();
  const visible = installations.filter((installation) => {
    const account = world.accounts.get(installation.accountId);
    if (!account || !needsSso(account, credential.user.id)) return true;
    withheld.add(account.id);
    return false;
  });
  const headers: Record<string, string> =
    withheld.size > 0
      ? { 'X-GitHub-SSO': `partial-results; organizations=${[...withheld].sort((a, b) => a - b).join(',')}` }
      : {};
  return { visible, headers };
}

function orgOrThrow(context: EmulatorContext, login: string | undefined): EmulatedAccount {
  const org = login === undefined ? undefined : context.world.accountByLogin(login);
  if (!org || org.type !== 'Organization') throw new GitHubError(400, `No organization ${String(login)}`);
  return org;
}

function memberOrThrow(context: EmulatorContext, org: EmulatedAccount, login: unknown): EmulatedAccount {
  const user = typeof login === 'string' ? context.world.accountByLogin(login) : undefined;
  if (!user || user.type !== 'User') throw new GitHubError(400, `No user ${String(login)}`);
  if (!org.memberIds.has(user.id))
    throw new GitHubError(400, `${user.login} is not a member of ${org.login}`);
  return user;
}

const describe = (context: EmulatorContext, org: EmulatedAccount) => {
  const state = stateOf(org);
  return {
    organization: org.login,
    id: org.id,
    required: state.required,
    authorized: [...state.sessions].map((id) => context.world.account(id).login).sort(),
  };
};

/** The SSO page a user is sent to (X-GitHub-SSO url): a confirmation, then the SAML session starts. */
function ssoPage(request: EmulatorRequest, context: EmulatorContext): EmulatorResponse {
  const org = context.world.accountByLogin(request.params.org ?? '');
  if (!org || org.type !== 'Organization')
    return { ...page('Not found', '<p>No such organization.</p>'), status: 404 };
  const requestId = request.url.searchParams.get('authorization_request');
  const pending = requestId ? requestsOf(context.world).get(requestId) : undefined;
  if (requestId && (!pending || pending.orgId !== org.id)) {
    return {
      ...page('Expired', '<p>This authorization request is unknown or was used already.</p>'),
      status: 404,
    };
  }
  // Who is "signed in to GitHub": the user the request was made for, or `login=` (scripts, pickers).
  const login = request.url.searchParams.get('login');
  const user = pending
    ? context.world.accounts.get(pending.userId)
    : login
      ? context.world.accountByLogin(login)
      : undefined;
  if (!user) {
    const links = [...org.memberIds]
      .map((id) => context.world.account(id))
      .map((member) => {
        const url = new URL(request.url);
        url.searchParams.set('login', member.login);
        return `<a class="button" href="${escapeHtml(url.pathname + url.search)}">Continue as <b>${escapeHtml(member.login)}</b></a>`;
      })
      .join('');
    return page(`Single sign-on to ${org.login}`, `<p>Who is signing in?</p>${links}`);
  }
  if (!org.memberIds.has(user.id)) {
    return {
      ...page(
        'Not a member',
        `<p>${escapeHtml(user.login)} is not a member of ${escapeHtml(org.login)}.</p>`,
      ),
      status: 403,
    };
  }
  if (request.url.searchParams.get('continue') !== '1') {
    const url = new URL(request.url);
    url.searchParams.set('login', user.login);
    url.searchParams.set('continue', '1');
    return page(
      `Single sign-on to ${org.login}`,
      `<p>${escapeHtml(org.login)} requires you to sign in with its identity provider.</p><a class="button" href="${escapeHtml(url.pathname + url.search)}">Continue as <b>${escapeHtml(user.login)}</b></a>`,
    );
  }
  stateOf(org).sessions.add(user.id);
  if (requestId) requestsOf(context.world).delete(requestId);
  return page(
    'Signed in',
    `<p>${escapeHtml(user.login)} may now use ${escapeHtml(org.login)}’s resources through the API.</p>`,
  );
}

/** The SSO page and the control routes that require SSO and authorise users (docs/sso-and-workflows.md). */
export const ssoRoutes: Route[] = [
  { method: 'GET', template: '/orgs/{org}/sso', kind: 'web', handle: ssoPage },
  {
    method: 'GET',
    template: '/_emulator/orgs/{org}/sso',
    kind: 'admin',
    handle: (request, context) => json(200, describe(context, orgOrThrow(context, request.params.org))),
  },
  {
    method: 'PUT',
    template: '/_emulator/orgs/{org}/sso',
    kind: 'admin',
    handle: (request, context) => {
      const org = orgOrThrow(context, request.params.org);
      const required = request.body?.required;
      if (typeof required !== 'boolean') throw new GitHubError(400, 'required must be true or false');
      const state = stateOf(org);
      // Turning enforcement on or off ends every SAML session: members sign in again.
      if (state.required !== required) state.sessions.clear();
      state.required = required;
      return json(200, describe(context, org));
    },
  },
  {
    method: 'POST',
    template: '/_emulator/orgs/{org}/sso/authorizations',
    kind: 'admin',
    handle: (request, context) => {
      const org = orgOrThrow(context, request.params.org);
      const user = memberOrThrow(context, org, request.body?.login);
      stateOf(org).sessions.add(user.id);
      return json(200, describe(context, org));
    },
  },
  {
    method: 'DELETE',
    template: '/_emulator/orgs/{org}/sso/authorizations/{login}',
    kind: 'admin',
    handle: (request, context) => {
      const org = orgOrThrow(context, request.params.org);
      const user = context.world.accountByLogin(request.params.login ?? '');
      if (!user) throw notFound();
      stateOf(org).sessions.delete(user.id);
      return json(200, describe(context, org));
    },
  },
];
