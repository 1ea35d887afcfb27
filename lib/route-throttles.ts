import { PUBLIC_PATHS, type RouteSpec } from '../functions/shared/service-routes.js';

export type Throttle = Readonly<{ rateLimit: number; burstLimit: number }>;

/**
 * API Gateway throttles (requests per second, steady and burst). Each route with its own limit is
 * counted apart from the stage default, so a flood of sign-ins or forged webhooks cannot use up the
 * budget of the signed-in API (docs/deploy.md "Throttling").
 */
export const THROTTLES = {
  /** Every route without its own limit. */
  stage: { rateLimit: 100, burstLimit: 200 },
  /**
   * `/auth/*`: unauthenticated and human-paced; each sign-in costs GitHub calls and table writes, so
   * the limit is low.
   */
  auth: { rateLimit: 10, burstLimit: 20 },
  /**
   * GitHub's deliveries to this App (installation events only) come in small bursts; an answer of
   * 429 shows as a failed delivery GitHub can redeliver.
   */
  webhook: { rateLimit: 25, burstLimit: 50 },
} as const satisfies Record<string, Throttle>;

/** The route's own limit, or undefined when the stage default applies. */
export function routeThrottle(route: Pick<RouteSpec, 'path'>): Throttle | undefined {
  if (route.path.startsWith('/auth/')) return THROTTLES.auth;
  if (route.path === PUBLIC_PATHS.webhook) return THROTTLES.webhook;
  return undefined;
}
