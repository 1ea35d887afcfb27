import { GitHubError } from '../errors.js';
import { json, type Route } from '../http.js';
import type { RateLimiter } from '../rate-limits.js';

const admin = (method: string, template: string, handle: Route['handle']): Route => ({
  method,
  template: `/_emulator${template}`,
  kind: 'admin',
  handle,
});

/**
 * The control API for GitHub's limits (rate-limits.ts) and lost webhook deliveries (docs/github-emulator.md).
 * POST /_emulator/reset restores GitHub's limits, enforced, and clears the webhook faults.
 */
export function limitRoutes(limiter: RateLimiter): Route[] {
  return [
    admin('GET', '/limits', () => json(200, limiter.settings)),
    admin('PUT', '/limits', (request) => json(200, limiter.configure(request.body ?? {}))),
    admin('POST', '/webhooks/faults', (request, context) => {
      const count = request.body?.count ?? 1;
      const mode = request.body?.mode ?? 'drop';
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
        throw new GitHubError(400, 'count must be an integer >= 1');
      if (mode !== 'drop') throw new GitHubError(400, 'mode must be "drop"');
      context.webhooks.dropNext += count;
      return json(201, { mode, remaining: context.webhooks.dropNext });
    }),
    admin('GET', '/webhooks/faults', (_request, context) =>
      json(200, { mode: 'drop', remaining: context.webhooks.dropNext }),
    ),
    admin('DELETE', '/webhooks/faults', (_request, context) => {
      context.webhooks.dropNext = 0;
      return { status: 204 };
    }),
  ];
}
