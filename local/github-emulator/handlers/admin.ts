import { GitHubError, notFound } from '../errors.js';
import { installationPayload, installationRepositories, sendInstallationEvent } from '../events.js';
import { json, stringField, type EmulatorContext, type EmulatorRequest, type Route } from '../http.js';
import {
  deleteRepository,
  parseRepositoryUpdate,
  transferRepository,
  updateRepository,
  type RepositoryUpdate,
} from '../repository-changes.js';
import type { RateLimiter } from '../rate-limits.js';
import { sendRepositoryEvent } from '../repository-events.js';
import { Webhooks } from '../webhooks.js';
import type {
  EmulatedAccount,
  EmulatedInstallation,
  EmulatedRepository,
  Permissions,
  RepositoryPermission,
} from '../world.js';

export type Fault = {
  id: number;
  method: string | undefined;
  /** An OpenAPI path template (`/app/installations/{installation_id}/access_tokens`) or an exact path. */
  route: string | undefined;
  remaining: number;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  delayMs: number;
  /**
   * `respond` answers with status/headers/body; `reset` drops the connection (after any delay), GitHub
   * having done nothing. `act-then-delay` and `act-then-reset` let GitHub do the work (the call takes
   * effect: a refresh token is rotated, a repository created), then answer late or never.
   * `cut-body` and `stall-body` also let GitHub act, then send the answer's status and headers (with
   * its full Content-Length) and half of its body: `cut-body` then drops the connection, `stall-body`
   * sends nothing more (for `delayMs` if given, then drops it; else until the client gives up).
   */
  mode: FaultMode;
};

const FAULT_MODES = [
  'respond',
  'reset',
  'act-then-delay',
  'act-then-reset',
  'cut-body',
  'stall-body',
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export type CallRecord = {
  method: string;
  route: string;
  path: string;
  credential: string;
  status: number;
  at: string;
  /** Wall-clock milliseconds (Date.now) when the request arrived and when its answer was sent, so
   * that calls made in parallel visibly overlap (the emulator clock `at` may be advanced in tests). */
  startMs: number;
  endMs: number;
  grantType?: string;
  installationId?: number;
  fault?: number;
  body?: unknown;
};

export type AdminState = {
  faults: Fault[];
  calls: CallRecord[];
  nextFaultId: number;
  /** Added to every REST answer (not the control API), like the network distance to GitHub. */
  latencyMs: number;
  /** With a range (`PUT /_emulator/latency {minMs, maxMs}`), each answer waits a random time from
   * latencyMs to latencyMaxMs, as real calls vary; equal to latencyMs for a fixed latency. */
  latencyMaxMs: number;
  /** GitHub's rate limits (rate-limits.ts); reset restores them. */
  limits: RateLimiter;
};

const bad = (message: string) => new GitHubError(400, message);

function accountOrThrow(context: EmulatorContext, login: unknown): EmulatedAccount {
  const account = typeof login === 'string' ? context.world.accountByLogin(login) : undefined;
  if (!account) throw bad(`No account with login ${String(login)}`);
  return account;
}

function installationOrThrow(context: EmulatorContext, request: EmulatorRequest): EmulatedInstallation {
  const installation = context.world.installations.get(Number(request.params.id));
  if (!installation) throw notFound();
  return installation;
}

/** Who GitHub names as the sender of an installation event: the account, or an organisation's first member. */
function senderFor(
  context: EmulatorContext,
  installation: EmulatedInstallation,
  by?: unknown,
): EmulatedAccount {
  if (typeof by === 'string') return accountOrThrow(context, by);
  const account = context.world.account(installation.accountId);
  const member = [...account.memberIds][0];
  return account.type === 'User' || member === undefined ? account : context.world.account(member);
}

/** Who changes a repository on github.com: `by`, else the owner, else the organisation's first owner or member. */
function personFor(context: EmulatorContext, owner: EmulatedAccount, by?: unknown): EmulatedAccount {
  if (typeof by === 'string') return accountOrThrow(context, by);
  const person = [...owner.adminIds, ...owner.memberIds][0];
  return owner.type === 'User' || person === undefined ? owner : context.world.account(person);
}

function repositoryPermission(value: unknown): RepositoryPermission {
  if (value === 'none' || value === 'read' || value === 'write' || value === 'admin') return value;
  throw bad('permission must be none, read, write or admin');
}

function repositoryOrThrow(context: EmulatorContext, request: EmulatorRequest): EmulatedRepository {
  const repo = context.world.repository(request.params.owner ?? '', request.params.repo ?? '');
  if (!repo) throw notFound();
  return repo;
}

/** A file's content in the control API: UTF-8 text, or `{ base64 }` for any bytes. */
function fileContent(content: unknown): string | Buffer {
  if (
    typeof content === 'object' &&
    content !== null &&
    typeof (content as { base64?: unknown }).base64 === 'string'
  )
    return Buffer.from((content as { base64: string }).base64, 'base64');
  return String(content);
}

/** The control API's view of a repository after a change. */
function repositoryState(context: EmulatorContext, repo: EmulatedRepository) {
  return {
    id: repo.id,
    fullName: `${context.world.account(repo.ownerId).login}/${repo.name}`,
    private: repo.private,
    archived: repo.archived,
    isTemplate: repo.isTemplate,
    defaultBranch: repo.defaultBranch,
  };
}

/** The control API's body (camelCase) as PATCH /repos/{owner}/{repo} would take it. */
function controlUpdate(body: Record<string, unknown> | undefined): RepositoryUpdate {
  const source = body ?? {};
  return parseRepositoryUpdate({
    ...(source.name !== undefined ? { name: source.name } : {}),
    ...(source.description !== undefined ? { description: source.description } : {}),
    ...(source.visibility !== undefined ? { visibility: source.visibility } : {}),
    ...(source.private !== undefined ? { private: source.private } : {}),
    ...(source.isTemplate !== undefined ? { is_template: source.isTemplate } : {}),
    ...(source.defaultBranch !== undefined ? { default_branch: source.defaultBranch } : {}),
    ...(source.archived !== undefined ? { archived: source.archived } : {}),
  });
}

const delivered = (delivery: Awaited<ReturnType<Webhooks['send']>>) =>
  delivery ? Webhooks.summary(delivery) : null;

/** The control API under /_emulator/ (README: "GitHub emulator"). */
export function adminRoutes(state: AdminState): Route[] {
  const admin = (method: string, template: string, handle: Route['handle']): Route => ({
    method,
    template: `/_emulator${template}`,
    kind: 'admin',
    handle,
  });
  const latency = () => ({ latencyMs: state.latencyMs, minMs: state.latencyMs, maxMs: state.latencyMaxMs });
  return [
    admin('POST', '/reset', (_request, context) => {
      context.world.reset();
      context.webhooks.reset();
      state.faults.length = 0;
      state.calls.length = 0;
      state.latencyMs = 0;
      state.latencyMaxMs = 0;
      state.limits.reset();
      return json(200, { reset: true });
    }),
    admin('POST', '/apps', (request, context) => {
      const body = request.body ?? {};
      const publicKey = stringField(body, 'publicKey');
      const slug = stringField(body, 'slug');
      if (!publicKey || !slug) throw bad('slug and publicKey are required');
      const app = context.world.registerApp({
        ...(typeof body.id === 'number' || typeof body.id === 'string' ? { id: Number(body.id) } : {}),
        slug,
        publicKey,
        ...(stringField(body, 'name') ? { name: stringField(body, 'name') } : {}),
        ...(stringField(body, 'clientId') ? { clientId: stringField(body, 'clientId') } : {}),
        ...(stringField(body, 'clientSecret') ? { clientSecret: stringField(body, 'clientSecret') } : {}),
        ...(stringField(body, 'owner') ? { owner: stringField(body, 'owner') } : {}),
        ...(stringField(body, 'webhookUrl') ? { webhookUrl: stringField(body, 'webhookUrl') } : {}),
        ...(stringField(body, 'webhookSecret') ? { webhookSecret: stringField(body, 'webhookSecret') } : {}),
        ...(Array.isArray(body.callbackUrls) ? { callbackUrls: body.callbackUrls.map(String) } : {}),
        ...(stringField(body, 'setupUrl') ? { setupUrl: stringField(body, 'setupUrl') } : {}),
        ...(typeof body.requestOAuthOnInstall === 'boolean'
          ? { requestOAuthOnInstall: body.requestOAuthOnInstall }
          : {}),
        ...(typeof body.expiringUserTokens === 'boolean'
          ? { expiringUserTokens: body.expiringUserTokens }
          : {}),
        ...(typeof body.permissions === 'object' && body.permissions
          ? { permissions: body.permissions as Permissions }
          : {}),
        ...(Array.isArray(body.events) ? { events: body.events.map(String) } : {}),
      });
      return json(201, {
        id: app.id,
        slug: app.slug,
        clientId: app.clientId,
        clientSecret: app.clientSecret,
      });
    }),
    admin('POST', '/users', (request, context) => {
      const body = request.body ?? {};
      const login = stringField(body, 'login');
      const type = body.type ?? 'User';
      if (!login || (type !== 'User' && type !== 'Organization'))
        throw bad('login and type (User | Organization) are required');
      const account = context.world.createAccount({
        login,
        type,
        ...(stringField(body, 'name') ? { name: stringField(body, 'name') } : {}),
        ...(Array.isArray(body.members) ? { members: body.members.map(String) } : {}),
        ...(Array.isArray(body.admins) ? { admins: body.admins.map(String) } : {}),
        ...(body.basePermission !== undefined
          ? { basePermission: repositoryPermission(body.basePermission) }
          : {}),
      });
      return json(201, { id: account.id, login: account.login, type: account.type });
    }),
    // An organisation's base permission: what every member may do in every repository.
    admin('PUT', '/orgs/{org}/base-permission', (request, context) => {
      const org = accountOrThrow(context, request.params.org);
      if (org.type !== 'Organization') throw bad('only an organisation has a base permission');
      org.basePermission = repositoryPermission(request.body?.permission);
      return json(200, { organization: org.login, basePermission: org.basePermission });
    }),
    // A user's own permission on one repository (a collaborator or a team's grant); `none` removes it.
    admin('PUT', '/repos/{owner}/{repo}/permissions/{login}', (request, context) => {
      const repo = repositoryOrThrow(context, request);
      const user = accountOrThrow(context, request.params.login);
      const permission = repositoryPermission(request.body?.permission);
      if (permission === 'none') repo.collaborators.delete(user.id);
      else repo.collaborators.set(user.id, permission);
      return json(200, { permission: context.world.userPermission(user.id, repo) });
    }),
    admin('POST', '/users/{login}/members', (request, context) => {
      const org = accountOrThrow(context, request.params.login);
      const member = accountOrThrow(context, stringField(request.body, 'login'));
      if (org.type !== 'Organization' || member.type !== 'User') throw bad('add a user to an organisation');
      org.memberIds.add(member.id);
      return json(200, { organization: org.login, member: member.login });
    }),
    // An organisation member's role: `admin` (owner) or `member`; `none` removes them.
    admin('PUT', '/orgs/{org}/memberships/{login}', (request, context) => {
      const org = accountOrThrow(context, request.params.org);
      const member = accountOrThrow(context, request.params.login);
      const role = stringField(request.body, 'role');
      if (org.type !== 'Organization' || member.type !== 'User') throw bad('a user in an organisation');
      if (role !== 'admin' && role !== 'member' && role !== 'none')
        throw bad('role must be admin, member or none');
      if (role === 'none') org.memberIds.delete(member.id);
      else org.memberIds.add(member.id);
      if (role === 'admin') org.adminIds.add(member.id);
      else org.adminIds.delete(member.id);
      return json(200, { organization: org.login, member: member.login, role });
    }),
    admin('POST', '/users/{login}/rename', async (request, context) => {
      const account = accountOrThrow(context, request.params.login);
      const next = stringField(request.body, 'login');
      if (!next || context.world.accountByLogin(next)) throw bad('a new, unused login is required');
      const from = account.login;
      account.login = next;
      const deliveries = [];
      for (const installation of context.world.installations.values()) {
        if (installation.accountId !== account.id) continue;
        const app = context.world.apps.get(installation.appId);
        if (!app) continue;
        deliveries.push(
          delivered(
            await context.webhooks.send(app, 'installation_target', {
              action: 'renamed',
              account: context.serializer.simpleUser(account),
              changes: { login: { from } },
              installation: {
                id: installation.id,
                node_id: context.serializer.nodeId('Installation', installation.id),
              },
              sender: context.serializer.simpleUser(senderFor(context, installation)),
              target_type: account.type,
            }),
          ),
        );
      }
      return json(200, { login: next, deliveries });
    }),
    admin('POST', '/installations', async (request, context) => {
      const body = request.body ?? {};
      const app = context.world.apps.get(Number(body.appId));
      if (!app) throw bad('appId must name a registered app');
      const account = accountOrThrow(context, body.account);
      if (context.world.installationFor(app.id, account.id))
        throw bad(`already installed on ${account.login}`);
      const selection = body.repositorySelection === 'selected' ? 'selected' : 'all';
      const repositoryIds = Array.isArray(body.repositories)
        ? body.repositories.map((name) => {
            const repo = context.world.repository(account.login, String(name));
            if (!repo) throw bad(`no repository ${account.login}/${String(name)}`);
            return repo.id;
          })
        : [];
      const installation = context.world.install({
        appId: app.id,
        accountId: account.id,
        repositorySelection: selection,
        repositoryIds,
        ...(typeof body.permissions === 'object' && body.permissions
          ? { permissions: body.permissions as Permissions }
          : {}),
      });
      const delivery = await sendInstallationEvent(
        context,
        'created',
        installation,
        senderFor(context, installation, body.by),
      );
      return json(201, {
        installation: context.serializer.installation(installation),
        delivery: delivered(delivery),
      });
    }),
    admin('DELETE', '/installations/{id}', async (request, context) => {
      const installation = installationOrThrow(context, request);
      const sender = senderFor(context, installation, request.url.searchParams.get('by') ?? undefined);
      // The payload describes the installation as it was, so build it before removing it.
      const app = context.world.apps.get(installation.appId);
      const payload = installationPayload(context, 'deleted', installation, sender);
      context.world.uninstall(installation.id);
      const delivery = app ? await context.webhooks.send(app, 'installation', payload) : undefined;
      return json(200, { deleted: installation.id, delivery: delivered(delivery) });
    }),
    ...(['suspend', 'unsuspend'] as const).map((action) =>
      admin('POST', `/installations/{id}/${action}`, async (request, context) => {
        const installation = installationOrThrow(context, request);
        const sender = senderFor(context, installation, stringField(request.body, 'by'));
        installation.suspendedAt = action === 'suspend' ? context.world.clock.iso() : null;
        installation.suspendedById = action === 'suspend' ? sender.id : null;
        installation.updatedAt = context.world.clock.iso();
        const delivery = await sendInstallationEvent(context, action, installation, sender);
        return json(200, {
          installation: context.serializer.installation(installation),
          delivery: delivered(delivery),
        });
      }),
    ),
    admin('POST', '/installations/{id}/permissions', async (request, context) => {
      const installation = installationOrThrow(context, request);
      const permissions = request.body?.permissions;
      if (typeof permissions !== 'object' || permissions === null) throw bad('permissions is required');
      installation.permissions = { ...(permissions as Permissions) };
      installation.updatedAt = context.world.clock.iso();
      // Tokens minted before keep the permissions they were minted with until they expire, as on GitHub.
      const delivery = await sendInstallationEvent(
        context,
        'new_permissions_accepted',
        installation,
        senderFor(context, installation, stringField(request.body, 'by')),
      );
      return json(200, {
        installation: context.serializer.installation(installation),
        delivery: delivered(delivery),
      });
    }),
    admin('POST', '/installations/{id}/repositories', async (request, context) => {
      const installation = installationOrThrow(context, request);
      const account = context.world.account(installation.accountId);
      const resolve = (names: unknown) =>
        (Array.isArray(names) ? names : []).map((name) => {
          const repo = context.world.repository(account.login, String(name));
          if (!repo) throw bad(`no repository ${account.login}/${String(name)}`);
          return repo;
        });
      const added = resolve(request.body?.add);
      const removed = resolve(request.body?.remove);
      const before = new Set(installationRepositories(context, installation).map((repo) => repo.id));
      installation.repositorySelection = 'selected';
      if (installation.selectedRepositoryIds.size === 0)
        for (const id of before) installation.selectedRepositoryIds.add(id);
      for (const repo of added) installation.selectedRepositoryIds.add(repo.id);
      for (const repo of removed) installation.selectedRepositoryIds.delete(repo.id);
      const app = context.world.apps.get(installation.appId);
      const action = removed.length > 0 && added.length === 0 ? 'removed' : 'added';
      const delivery = app
        ? await context.webhooks.send(app, 'installation_repositories', {
            action,
            installation: context.serializer.installation(installation),
            repository_selection: installation.repositorySelection,
            repositories_added: added.map((repo) => context.serializer.repositoryBrief(repo)),
            repositories_removed: removed.map((repo) => context.serializer.repositoryBrief(repo)),
            requester: null,
            sender: context.serializer.simpleUser(
              senderFor(context, installation, stringField(request.body, 'by')),
            ),
          })
        : undefined;
      return json(200, {
        installation: context.serializer.installation(installation),
        delivery: delivered(delivery),
      });
    }),
    // Repositories as someone would make them on github.com: `names` or `count` × `prefix`-NNNN, each with
    // one commit of `files` (path → UTF-8 content or `{ base64 }` for bytes; default a README),
    // optionally private or a template.
    admin('POST', '/users/{login}/repos', async (request, context) => {
      const owner = accountOrThrow(context, request.params.login);
      const body = request.body ?? {};
      const count = typeof body.count === 'number' ? body.count : undefined;
      const prefix = stringField(body, 'prefix') ?? 'repo';
      const names = Array.isArray(body.names)
        ? body.names.map(String)
        : count !== undefined && Number.isInteger(count) && count > 0 && count <= 5000
          ? Array.from({ length: count }, (_, index) => `${prefix}-${String(index + 1).padStart(4, '0')}`)
          : undefined;
      if (!names || names.length === 0) throw bad('names (a list) or count (1 to 5000) is required');
      const files =
        typeof body.files === 'object' && body.files !== null && !Array.isArray(body.files)
          ? Object.fromEntries(
              Object.entries(body.files).map(([path, content]) => [path, fileContent(content)]),
            )
          : undefined;
      for (const name of names) {
        if (!/^[A-Za-z0-9._-]{1,100}$/.test(name) || context.world.repository(owner.login, name))
          throw bad(`${owner.login}/${name}: invalid or taken name`);
      }
      const sender = personFor(context, owner, body.by);
      const repos = names.map((name) => {
        const repo = context.world.createRepository({
          ownerId: owner.id,
          name,
          description: stringField(body, 'description') ?? null,
          private: body.private === true,
          isTemplate: body.isTemplate === true,
        });
        context.world.commitFiles(repo, files ?? { 'README.md': `# ${name}\n` }, 'Initial commit');
        return repo;
      });
      // Events once all exist (the App only hears of them if its installation reaches them).
      for (const repo of repos) await sendRepositoryEvent(context, { action: 'created', repo, sender });
      return json(201, {
        repositories: repos.map((repo) => ({ id: repo.id, fullName: `${owner.login}/${repo.name}` })),
      });
    }),
    // A repository changed on github.com by a person (`by`, else its owner): the same rules and events
    // as PATCH /repos/{owner}/{repo}, without a token.
    admin('PATCH', '/repos/{owner}/{repo}', async (request, context) => {
      const repo = repositoryOrThrow(context, request);
      const sender = personFor(context, context.world.account(repo.ownerId), request.body?.by);
      const deliveries = await updateRepository(context, repo, controlUpdate(request.body), sender);
      return json(200, {
        repository: repositoryState(context, repo),
        deliveries: deliveries.map((delivery) => Webhooks.summary(delivery)),
      });
    }),
    admin('DELETE', '/repos/{owner}/{repo}', async (request, context) => {
      const repo = repositoryOrThrow(context, request);
      const by = request.url.searchParams.get('by') ?? undefined;
      const sender = personFor(context, context.world.account(repo.ownerId), by);
      const deliveries = await deleteRepository(context, repo, sender);
      return json(200, {
        deleted: repositoryState(context, repo),
        deliveries: deliveries.map((delivery) => Webhooks.summary(delivery)),
      });
    }),
    admin('POST', '/repos/{owner}/{repo}/transfer', async (request, context) => {
      const repo = repositoryOrThrow(context, request);
      const newOwner = accountOrThrow(context, stringField(request.body, 'newOwner'));
      const sender = personFor(context, context.world.account(repo.ownerId), request.body?.by);
      const deliveries = await transferRepository(context, repo, newOwner, sender);
      return json(200, {
        repository: repositoryState(context, repo),
        deliveries: deliveries.map((delivery) => Webhooks.summary(delivery)),
      });
    }),
    admin('POST', '/authorizations/revoke', async (request, context) => {
      const user = accountOrThrow(context, stringField(request.body, 'login'));
      const apps =
        request.body?.appId === undefined
          ? [...context.world.apps.values()]
          : [context.world.apps.get(Number(request.body.appId))];
      const deliveries = [];
      for (const app of apps) {
        if (!app) throw bad('appId must name a registered app');
        context.world.revokeAuthorization(app.id, user.id);
        deliveries.push(
          delivered(
            await context.webhooks.send(app, 'github_app_authorization', {
              action: 'revoked',
              sender: context.serializer.simpleUser(user),
            }),
          ),
        );
      }
      return json(200, { revoked: user.login, deliveries });
    }),
    admin('POST', '/clock', (request, context) => {
      const seconds = Number(request.body?.advanceSeconds);
      if (!Number.isFinite(seconds) || seconds < 0)
        throw bad('advanceSeconds must be a number of seconds >= 0');
      context.world.clock.advance(seconds);
      return json(200, { now: context.world.clock.iso() });
    }),
    // `{latencyMs}` for a fixed latency, or `{minMs, maxMs}` for a random one in that range per call.
    admin('PUT', '/latency', (request) => {
      const body = request.body ?? {};
      const valid = (value: unknown): value is number =>
        typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 60_000;
      if (body.minMs !== undefined || body.maxMs !== undefined) {
        if (!valid(body.minMs) || !valid(body.maxMs) || body.minMs > body.maxMs)
          throw bad('minMs and maxMs must be integers from 0 to 60000, minMs ≤ maxMs');
        state.latencyMs = body.minMs;
        state.latencyMaxMs = body.maxMs;
      } else {
        if (!valid(body.latencyMs)) throw bad('latencyMs must be an integer from 0 to 60000');
        state.latencyMs = body.latencyMs;
        state.latencyMaxMs = body.latencyMs;
      }
      return json(200, latency());
    }),
    admin('GET', '/latency', () => json(200, latency())),
    admin('GET', '/clock', (_request, context) => json(200, { now: context.world.clock.iso() })),
    admin('POST', '/faults', (request) => {
      const body = request.body ?? {};
      const status = Number(body.status ?? 500);
      const fault: Fault = {
        id: state.nextFaultId++,
        method: stringField(body, 'method')?.toUpperCase(),
        route: stringField(body, 'route') ?? stringField(body, 'path'),
        remaining: Math.max(1, Number(body.count ?? 1) || 1),
        status,
        headers:
          typeof body.headers === 'object' && body.headers ? (body.headers as Record<string, string>) : {},
        body: body.body ?? {
          message: status >= 500 ? 'Server Error' : 'Fault injected',
          documentation_url: 'https://docs.github.com/rest',
        },
        delayMs: Math.max(0, Number(body.delayMs ?? 0) || 0),
        mode: FAULT_MODES.find((mode) => mode === body.mode) ?? 'respond',
      };
      state.faults.push(fault);
      return json(201, fault);
    }),
    admin('DELETE', '/faults', () => {
      state.faults.length = 0;
      return { status: 204 };
    }),
    admin('GET', '/calls', (request) => {
      const route = request.url.searchParams.get('route');
      const calls = route
        ? state.calls.filter((call) => `${call.method} ${call.route}` === route || call.route === route)
        : state.calls;
      return json(200, { calls });
    }),
    admin('DELETE', '/calls', () => {
      state.calls.length = 0;
      return { status: 204 };
    }),
    admin('GET', '/deliveries', (_request, context) =>
      json(200, { deliveries: context.webhooks.deliveries.map((delivery) => Webhooks.summary(delivery)) }),
    ),
    admin('POST', '/deliveries/{deliveryId}/redeliver', async (request, context) => {
      const delivery = await context.webhooks.redeliver(request.params.deliveryId ?? '');
      if (!delivery) throw notFound();
      return json(200, Webhooks.summary(delivery));
    }),
    admin('GET', '/world', (_request, context) => {
      const { world } = context;
      return json(200, {
        now: world.clock.iso(),
        apps: [...world.apps.values()].map((app) => ({ id: app.id, slug: app.slug, clientId: app.clientId })),
        accounts: [...world.accounts.values()].map((account) => ({
          id: account.id,
          login: account.login,
          type: account.type,
          members: [...account.memberIds].map((id) => world.account(id).login),
          admins: [...account.adminIds].map((id) => world.account(id).login),
        })),
        installations: [...world.installations.values()].map((installation) => ({
          id: installation.id,
          appId: installation.appId,
          account: world.account(installation.accountId).login,
          suspended: installation.suspendedAt !== null,
        })),
        repositories: [...world.repositories.values()].map(
          (repo) => `${world.account(repo.ownerId).login}/${repo.name}`,
        ),
      });
    }),
  ];
}
