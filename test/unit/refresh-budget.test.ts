import { LEASE_MS, REFRESH_TIMEOUT_MS, STORE_BUDGET_MS } from '../../functions/shared/auth/user-tokens.js';
import { TIMEOUT_MS } from '../../functions/shared/github/github.js';
import { SERVICE_FUNCTIONS, type FunctionName } from '../../functions/shared/service-routes.js';

/** The functions whose requests may refresh a user token (they call UserTokens.get / withToken). */
const REFRESHING: FunctionName[] = ['accounts', 'list-installations', 'link-installation', 'create-repo'];

describe('the user-token refresh’s time budget', () => {
  it('the lease outlives the refresh call plus the writes of its result', () => {
    expect(LEASE_MS).toBeGreaterThan(REFRESH_TIMEOUT_MS + STORE_BUDGET_MS);
    expect(REFRESH_TIMEOUT_MS).toBeGreaterThan(TIMEOUT_MS);
  });

  it('a function that refreshes can hold the lease and then make its GitHub call, inside API Gateway’s 30 s', () => {
    for (const name of REFRESHING) {
      const seconds = SERVICE_FUNCTIONS[name].timeoutSeconds ?? 15;
      expect({ name, fits: seconds * 1000 >= LEASE_MS + TIMEOUT_MS }).toEqual({ name, fits: true });
      expect(seconds).toBeLessThan(30);
    }
  });
});
