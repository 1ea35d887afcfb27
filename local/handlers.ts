import type { HttpLambdaHandler } from '../functions/shared/http/http-handler.js';
import type { FunctionName } from '../functions/shared/service-routes.js';

/** The very handler modules the Lambdas run (functions/shared/service-routes.ts names their entries), loaded on first use. */
export const HANDLER_LOADERS: Record<FunctionName, () => Promise<{ handler: HttpLambdaHandler }>> = {
  health: () => import('../functions/health/handler.js'),
  'oauth-callback': () => import('../functions/oauth-callback/handler.js'),
  session: () => import('../functions/session/handler.js'),
  accounts: () => import('../functions/accounts/handler.js'),
  'list-installations': () => import('../functions/list-installations/handler.js'),
  'link-installation': () => import('../functions/link-installation/handler.js'),
  'create-repo': () => import('../functions/create-repo/handler.js'),
  repositories: () => import('../functions/repositories/handler.js'),
  'service-access': () => import('../functions/service-access/handler.js'),
  webhook: () => import('../functions/webhook/handler.js'),
  'token-vending': () => import('../functions/token-vending/handler.js'),
};
