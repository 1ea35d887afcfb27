import { json, stringField, type Route } from '../../http.js';
import type { Permissions } from '../../world.js';
import {
  admin,
  accountOrThrow,
  bad,
  delivered,
  repositoryOrThrow,
  repositoryPermission,
  senderFor,
} from './shared.js';

/**
 * The control API (docs/github-emulator.md): Apps, users and organizations as someone would set them up
 * on github.com, and revoking a user’s authorization.
 */
export const accountRoutes: Route[] = [
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
];
