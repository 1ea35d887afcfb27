import { MANAGERS, requireMember } from '../shared/accounts/membership.js';
import { getUserTokens, requireCaller } from '../shared/auth/context.js';
import { beginInstallFlow } from '../shared/auth/oauth-state.js';
import { validateReturnTo } from '../shared/auth/return-to.js';
import { createHttpHandler } from '../shared/http/http-handler.js';
import { json, redirect } from '../shared/http/responses.js';
import { accountIdParam } from '../shared/http/validate.js';
import { listUserInstallations } from '../shared/installations/github-installations.js';
import {
  installationView,
  ssoInstallationView,
  type InstallationView,
} from '../shared/installations/link.js';
import { getServices } from '../shared/services.js';
import { AccountStore } from '../shared/store/account-store.js';
import { InstallationStore } from '../shared/store/installation-store.js';

/** The service route that starts installing the App for an account (it redirects to GitHub). */
function installUrl(accountId: string, returnTo: string): string {
  const url = new URL(`${getServices().config.apiBaseUrl}/accounts/${accountId}/installations/new`);
  url.searchParams.set('returnTo', returnTo);
  return url.toString();
}

export const handler = createHttpHandler({
  'GET /accounts/{accountId}/installations': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const { table, github, config } = getServices();
      await requireMember(new AccountStore(table), accountId, caller.userId);
      const returnTo = validateReturnTo(request.query.returnTo, config.frontendOrigins);
      const tokens = await getUserTokens();
      const store = new InstallationStore(table);
      const [{ installations: reachable, ssoOrganizationIds }, links] = await Promise.all([
        tokens.withToken(caller.userId, (token) => listUserInstallations(github, token)),
        store.linksOfAccount(accountId),
      ]);
      const linked = new Map(links.map((link) => [link.installationId, link.commitPolicy]));
      const seen = new Set(reachable.map((details) => details.id));
      const unreachable = links.filter((link) => !seen.has(link.installationId));
      // GitHub left SSO organisations out: which linked installations are theirs, the stored details
      // say (one more table read, only then). Unlinked installations there stay unknown until sign-in.
      const ssoOrgs = new Set(ssoOrganizationIds);
      const ssoDetails =
        ssoOrgs.size > 0 && unreachable.length > 0
          ? (await store.getManyDetails(unreachable.map((link) => link.installationId))).filter((details) =>
              ssoOrgs.has(details.accountId),
            )
          : [];
      const sso = new Map(ssoDetails.map((details) => [details.id, details]));
      const installations: InstallationView[] = [
        ...reachable.map((details) =>
          installationView(details, linked.has(details.id), linked.get(details.id)),
        ),
        ...unreachable.map((link): InstallationView => {
          const details = sso.get(link.installationId);
          if (details) return ssoInstallationView(details, config.githubWebUrl);
          // Linked by a teammate but not reachable by this caller: only the id, no GitHub details.
          return {
            id: link.installationId,
            accessible: false,
            linked: true,
            commitPolicy: link.commitPolicy,
          };
        }),
      ];
      // Listing writes nothing: the install flow starts only when someone follows installUrl.
      return json(200, { installations, installUrl: installUrl(accountId, returnTo) });
    },
  },
  'GET /accounts/{accountId}/installations/new': {
    handle: async (request) => {
      const caller = await requireCaller(request);
      const accountId = accountIdParam(request.pathParameters.accountId);
      const { table, config } = getServices();
      await requireMember(new AccountStore(table), accountId, caller.userId, MANAGERS);
      const returnTo = validateReturnTo(request.query.returnTo, config.frontendOrigins);
      const { url, cookie } = await beginInstallFlow(accountId, caller.userId, returnTo);
      return redirect(url, [cookie]);
    },
  },
});
