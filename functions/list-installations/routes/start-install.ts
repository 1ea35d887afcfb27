import { beginInstallFlow } from '../../shared/auth/oauth-state.js';
import { validateReturnTo } from '../../shared/auth/return-to.js';
import { route } from '../../shared/http/route.js';
import { redirect } from '../../shared/http/responses.js';
import { accountIdParam } from '../../shared/http/validate.js';
import { getServices } from '../../shared/services.js';

/** GET /accounts/{accountId}/installations/new: owners and admins start installing the App (to GitHub). */
export const startInstall = route({
  auth: 'manager',
  params: { accountId: accountIdParam },
  handle: async ({ caller, params: { accountId }, request }) => {
    const returnTo = validateReturnTo(request.query.returnTo, getServices().config.frontendOrigins);
    const { url, cookie } = await beginInstallFlow(accountId, caller.userId, returnTo);
    return redirect(url, [cookie]);
  },
});
