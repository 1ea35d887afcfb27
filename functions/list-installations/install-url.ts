import { getServices } from '../shared/services.js';

/** The service route that starts installing the App for an account (it redirects to GitHub). */
export function installUrl(accountId: string, returnTo: string): string {
  const url = new URL(`${getServices().config.apiBaseUrl}/accounts/${accountId}/installations/new`);
  url.searchParams.set('returnTo', returnTo);
  return url.toString();
}
