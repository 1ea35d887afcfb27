import { json, type Route } from '../http.js';
import { accountRoutes } from './admin/accounts.js';
import { conditionRoutes } from './admin/conditions.js';
import { deliveryRoutes } from './admin/deliveries.js';
import { installationRoutes } from './admin/installations.js';
import { repositoryRoutes } from './admin/repositories.js';
import { admin } from './admin/shared.js';
import type { AdminState } from './admin/state.js';

export type { AdminState, CallRecord, Fault, FaultMode } from './admin/state.js';

/**
 * The control API under /_emulator/ (docs/github-emulator.md), by area in handlers/admin/: accounts,
 * installations, repositories, conditions (clock, latency, faults, call log) and deliveries; resetting
 * and reading the whole world are here.
 */
export function adminRoutes(state: AdminState): Route[] {
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
    ...accountRoutes,
    ...installationRoutes,
    ...repositoryRoutes,
    ...conditionRoutes(state),
    ...deliveryRoutes,
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
