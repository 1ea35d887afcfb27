import { createAppAuth } from '@octokit/auth-app';
import { appJwtSigning } from '../shared/app-key/app-jwt.js';
import type { GitHubRequest } from '../shared/github/github.js';
import type { GitHubAppCredentials } from '../shared/secrets/index.js';

/** One attempt as GitHub lists it (`hook-delivery-item`), with the fields the job uses. */
export type DeliveryAttempt = {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status: string;
  status_code: number;
};

export type AppDeliveries = {
  /** One page, newest first; `next` is the cursor of the next (older) page, if any. */
  page(cursor: string | undefined): Promise<{ attempts: DeliveryAttempt[]; next: string | undefined }>;
  /** Asks GitHub to deliver this attempt again (same GUID, `redelivery: true`). */
  redeliver(attemptId: number): Promise<void>;
};

const PER_PAGE = 100;

/** The cursor GitHub puts in the `Link` header's `rel="next"` URL. */
export function nextCursor(link: string | undefined): string | undefined {
  const next = link
    ?.split(',')
    .map((part) => /<([^>]+)>\s*;\s*rel="next"/.exec(part)?.[1])
    .find((url) => url !== undefined);
  return next === undefined ? undefined : (new URL(next).searchParams.get('cursor') ?? undefined);
}

/**
 * The App's webhook deliveries, authenticated as the App itself: a JWT signed with the private key
 * (@octokit/auth-app, 10 minutes at most; or by KMS Sign). No installation token, so no
 * token cache and never the service's key material.
 */
export function appDeliveries(credentials: GitHubAppCredentials, request: GitHubRequest): AppDeliveries {
  // The PEM of the secret, or KMS Sign (APP_KEY_SIGNING=kms): shared/app-key/app-jwt.ts.
  const auth = createAppAuth({ appId: credentials.appId, ...appJwtSigning(credentials), request });
  const asApp = request.defaults({ request: { hook: auth.hook.bind(auth) } });
  return {
    async page(cursor) {
      const { data, headers } = await asApp('GET /app/hook/deliveries', {
        per_page: PER_PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      // GitHub's description types ids as int64 (number | bigint); JSON gives numbers.
      const attempts = data.map((item) => ({ ...item, id: Number(item.id) }));
      return { attempts, next: nextCursor(headers.link) };
    },
    async redeliver(attemptId) {
      await asApp('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: attemptId });
    },
  };
}
