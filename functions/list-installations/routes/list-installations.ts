import { getUserTokens } from '../../shared/auth/context.js';
import { validateReturnTo } from '../../shared/auth/return-to.js';
import { route } from '../../shared/http/route.js';
import { json } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { listUserInstallations } from '../../shared/installations/github-installations.js';
import {
  installationView,
  ssoInstallationView,
  unreachableInstallationView,
  type InstallationView,
} from '../../shared/installations/link.js';
import { getServices } from '../../shared/services.js';
import { installUrl } from '../install-url.js';

/** GET /accounts/{accountId}/installations: what the caller can reach at GitHub, marked linked or not. */
export const listInstallations = route({
  auth: 'member',
  params: { accountId: accountIdParam },
  handle: async ({ caller, params: { accountId }, request }) => {
    const { installations: store, github, config } = getServices();
    const returnTo = validateReturnTo(request.query.returnTo, config.frontendOrigins);
    const tokens = await getUserTokens();
    const [{ installations: reachable, ssoOrganizationIds }, links] = await Promise.all([
      tokens.withToken(caller.userId, (token) => listUserInstallations(github, token)),
      store.linksOfAccount(accountId),
    ]);
    const linked = new Map(links.map((link) => [link.installationId, link]));
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
        if (details) return ssoInstallationView(details, config.githubWebUrl, link);
        // Linked by a teammate but not reachable by this caller: only the id, no GitHub details.
        return unreachableInstallationView(link.installationId, link);
      }),
    ];
    // Listing writes nothing: the install flow starts only when someone follows installUrl.
    return json(200, { installations, installUrl: installUrl(accountId, returnTo) });
  },
});
