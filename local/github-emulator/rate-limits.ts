import { GitHubError } from './errors.js';
import type { EmulatorClock } from './clock.js';
import type { Credential, RouteKind } from './http.js';

/**
 * GitHub's REST limits, as "Rate limits for the REST API" documents them
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
 * - primary: 5,000 requests an hour per installation (shared by all its tokens), per user (user tokens),
 *   per App (JWT); 60 an hour without authentication. Over it: 403, `x-ratelimit-remaining: 0`, wait
 *   until `x-ratelimit-reset`. A 304 answer to an authorised conditional request costs nothing.
 * - secondary: at most 100 requests in flight per App (its JWT and all its installations) or user;
 *   at most 900 points a minute (GET/HEAD/OPTIONS 1, other methods 5); at most 80 content-creating
 *   requests a minute and 500 an hour. Over them: 403 "secondary rate limit" with `retry-after`.
 * Windows follow the emulator clock, so a test moves to the reset with POST /_emulator/clock.
 */
export type LimitSettings = {
  /** false: count and report, never refuse (PUT /_emulator/limits {"enforce": false}). */
  enforce: boolean;
  primaryPerHour: number;
  anonymousPerHour: number;
  concurrent: number;
  pointsPerMinute: number;
  contentPerMinute: number;
  contentPerHour: number;
};

export const GITHUB_LIMITS: Readonly<LimitSettings> = {
  enforce: true,
  primaryPerHour: 5000,
  anonymousPerHour: 60,
  concurrent: 100,
  pointsPerMinute: 900,
  contentPerMinute: 80,
  contentPerHour: 500,
};

const NUMERIC_SETTINGS = [
  'primaryPerHour',
  'anonymousPerHour',
  'concurrent',
  'pointsPerMinute',
  'contentPerMinute',
  'contentPerHour',
] as const;

const DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';
/** GitHub's advice without a hint: wait at least a minute. */
const CONCURRENCY_RETRY_AFTER_SECONDS = 60;

/**
 * The requests that create content (GitHub: "content-generating requests"): repositories, git objects
 * and refs (a push), files. Settings changes, deletions, token minting and redeliveries are not.
 */
const CONTENT_CREATING = new Set([
  'POST /user/repos',
  'POST /orgs/{org}/repos',
  'POST /repos/{template_owner}/{template_repo}/generate',
  'POST /repos/{owner}/{repo}/git/blobs',
  'POST /repos/{owner}/{repo}/git/trees',
  'POST /repos/{owner}/{repo}/git/commits',
  'POST /repos/{owner}/{repo}/git/refs',
  'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
  'PUT /repos/{owner}/{repo}/contents/{path}',
  'DELETE /repos/{owner}/{repo}/contents/{path}',
]);

export const isContentCreating = (method: string, template: string) =>
  CONTENT_CREATING.has(`${method} ${template}`);

/** Secondary-limit points: reads 1, writes 5. */
export const pointsOf = (method: string) => (['GET', 'HEAD', 'OPTIONS'].includes(method) ? 1 : 5);

type Window = { used: number; resetAt: number };

/** Who spends the primary budget: an installation (all its tokens), a user, an App, a client, an IP. */
function primaryKey(credential: Credential): string {
  switch (credential.kind) {
    case 'app_jwt':
      return `app:${credential.app.id}`;
    case 'installation_token':
      return `installation:${credential.installation.id}`;
    case 'user_token':
      return `user:${credential.user.id}`;
    case 'client_basic':
      return `client:${credential.clientId}`;
    default:
      return 'anonymous';
  }
}

/** Who the secondary limits are counted for: the App (its JWT and every installation) or the user. */
function secondaryKey(credential: Credential): string {
  switch (credential.kind) {
    case 'app_jwt':
      return `app:${credential.app.id}`;
    case 'installation_token':
      return `app:${credential.installation.appId}`;
    default:
      return primaryKey(credential);
  }
}

function primaryExceeded(credential: Credential): string {
  switch (credential.kind) {
    case 'installation_token':
      return `API rate limit exceeded for installation ID ${credential.installation.id}.`;
    case 'user_token':
      return `API rate limit exceeded for user ID ${credential.user.id}.`;
    case 'app_jwt':
      return `API rate limit exceeded for app ID ${credential.app.id}.`;
    default:
      return "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)";
  }
}

export type RateLimitCall = {
  method: string;
  /** GitHub's OpenAPI template of the route. */
  template: string;
  kind: RouteKind;
  credential: Credential;
  requestId: string;
};

/** An admitted call: release it when answered; its headers depend on the answer (a 304 is free). */
export type Ticket = {
  headers(status: number): Record<string, string>;
  release(): void;
};

export class RateLimiter {
  settings: LimitSettings = { ...GITHUB_LIMITS };
  private readonly primary = new Map<string, Window>();
  private readonly points = new Map<string, Window>();
  private readonly contentMinute = new Map<string, Window>();
  private readonly contentHour = new Map<string, Window>();
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly clock: EmulatorClock) {}

  /** GitHub's limits, enforced, and every count back to zero (POST /_emulator/reset). */
  reset(): void {
    this.settings = { ...GITHUB_LIMITS };
    this.primary.clear();
    this.points.clear();
    this.contentMinute.clear();
    this.contentHour.clear();
    // In-flight counts belong to calls still being answered; they release themselves.
  }

  /** Changes `enforce` and any limit; unknown or invalid values are refused. */
  configure(input: Record<string, unknown>): LimitSettings {
    const next = { ...this.settings };
    if (input.enforce !== undefined) {
      if (typeof input.enforce !== 'boolean') throw new GitHubError(400, 'enforce must be true or false');
      next.enforce = input.enforce;
    }
    for (const name of NUMERIC_SETTINGS) {
      const value = input[name];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
        throw new GitHubError(400, `${name} must be an integer >= 1`);
      next[name] = value;
    }
    this.settings = next;
    return next;
  }

  /** Admits a REST call, counting it, or refuses it as GitHub would. */
  admit(call: RateLimitCall): Ticket | GitHubError {
    const { credential } = call;
    const now = this.clock.nowSeconds();
    const anonymous = credential.kind === 'none' || credential.kind === 'invalid';
    const limit = anonymous ? this.settings.anonymousPerHour : this.settings.primaryPerHour;
    const pKey = primaryKey(credential);
    const primary = this.window(this.primary, pKey, now, 3600);
    const headersFor = (used: number): Record<string, string> => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - used)),
      'x-ratelimit-reset': String(primary.resetAt),
      'x-ratelimit-used': String(Math.min(used, limit)),
      'x-ratelimit-resource': 'core',
    });
    // The OAuth and web pages are not API calls: they show the budget but neither spend nor meet it.
    if (call.kind !== 'rest') return { headers: () => headersFor(primary.used), release: () => undefined };
    // A call with bad credentials is answered 401, whatever the budget.
    const enforced = this.settings.enforce && credential.kind !== 'invalid';

    if (enforced && primary.used >= limit) {
      return new GitHubError(
        403,
        primaryExceeded(credential),
        { documentation_url: `${DOCS}#about-primary-rate-limits` },
        headersFor(limit),
      );
    }

    const sKey = secondaryKey(credential);
    const cost = pointsOf(call.method);
    const creating = isContentCreating(call.method, call.template);
    const points = this.window(this.points, sKey, now, 60);
    const minute = this.window(this.contentMinute, sKey, now, 60);
    const hour = this.window(this.contentHour, sKey, now, 3600);
    if (enforced) {
      let retryAfter: number | undefined;
      if ((this.inFlight.get(sKey) ?? 0) >= this.settings.concurrent)
        retryAfter = CONCURRENCY_RETRY_AFTER_SECONDS;
      else if (points.used + cost > this.settings.pointsPerMinute) retryAfter = points.resetAt - now;
      else if (creating && hour.used >= this.settings.contentPerHour) retryAfter = hour.resetAt - now;
      else if (creating && minute.used >= this.settings.contentPerMinute) retryAfter = minute.resetAt - now;
      if (retryAfter !== undefined) {
        return new GitHubError(
          403,
          `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${call.requestId}.`,
          { documentation_url: `${DOCS}#about-secondary-rate-limits` },
          { ...headersFor(primary.used), 'retry-after': String(Math.max(1, retryAfter)) },
        );
      }
    }

    // Spent up front, so that calls in parallel cannot all pass a nearly spent budget.
    primary.used++;
    points.used += cost;
    if (creating) {
      minute.used++;
      hour.used++;
    }
    this.inFlight.set(sKey, (this.inFlight.get(sKey) ?? 0) + 1);
    let released = false;
    let refunded = false;
    return {
      headers: (status) => {
        // "Making a conditional request does not count against your primary rate limit if a 304
        // response is returned and the request was made while correctly authorized."
        if (status === 304 && !anonymous && !refunded) {
          refunded = true;
          primary.used = Math.max(0, primary.used - 1);
        }
        return headersFor(primary.used);
      },
      release: () => {
        if (released) return;
        released = true;
        const left = (this.inFlight.get(sKey) ?? 1) - 1;
        if (left > 0) this.inFlight.set(sKey, left);
        else this.inFlight.delete(sKey);
      },
    };
  }

  /** The current fixed window for `key` (a new one starts at the first call after the reset). */
  private window(windows: Map<string, Window>, key: string, now: number, seconds: number): Window {
    let current = windows.get(key);
    if (!current || current.resetAt <= now) {
      current = { used: 0, resetAt: now + seconds };
      windows.set(key, current);
    }
    return current;
  }
}
