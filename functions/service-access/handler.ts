import { createHttpHandler } from '../shared/http/http-handler.js';
import { createPolicy } from './routes/create-policy.js';
import { deletePolicy } from './routes/delete-policy.js';
import { listPolicies } from './routes/list-policies.js';
import { updatePolicy } from './routes/update-policy.js';

/** Service access policies: what platform back-ends may ask tokens for (docs/token-vending.md). */
export const handler = createHttpHandler({
  'GET /accounts/{accountId}/service-access': listPolicies,
  'POST /accounts/{accountId}/service-access': createPolicy,
  'PATCH /accounts/{accountId}/service-access/{policyId}': updatePolicy,
  'DELETE /accounts/{accountId}/service-access/{policyId}': deletePolicy,
});
