import { MANAGERS, OWNERS, requireMember } from '../accounts/membership.js';
import { requireCaller, requirePresentedSession } from '../auth/context.js';
import type { Caller } from '../auth/sessions.js';
import { UnauthorizedError } from '../errors.js';
import { getServices } from '../services.js';
import type { GitHubUser, Member, Role } from '../store/account-store.js';
import type { Route } from './http-handler.js';
import type { HttpRequest } from './request.js';
import type { HttpResponse } from './responses.js';

/**
 * Who may call a route:
 * - `session`: any signed-in caller (401/403 otherwise), checked before anything else is read;
 * - `session-beside-reads`: the same, but the session is read beside the route's first reads (a
 *   well-formed session is still required first, with no I/O); the route gets the caller as a promise;
 * - `member`, `manager` (owner or admin), `owner`: a signed-in member of the account `{accountId}`
 *   names, with that role. Not a member: 404 `account_not_found`; a member without the role: 403
 *   `insufficient_role` (accounts/membership.ts).
 *
 * Routes whose domain code checks the membership itself, beside its other reads (one round trip
 * less), declare `session` and say so.
 */
export type Auth = 'session' | 'session-beside-reads' | 'member' | 'manager' | 'owner';

const ROLES: Readonly<Record<'member' | 'manager' | 'owner', readonly Role[] | undefined>> = {
  member: undefined,
  manager: MANAGERS,
  owner: OWNERS,
};

/** A path parameter's parser: the value, or a typed error (usually 404: an id that cannot exist). */
type ParamParser = (value: string | undefined) => unknown;
type Parsed<P extends Record<string, ParamParser>> = { readonly [K in keyof P]: ReturnType<P[K]> };

export type RouteContext<A extends Auth, P extends Record<string, ParamParser>, Q, B, U extends boolean> = {
  readonly request: HttpRequest;
  readonly caller: A extends 'session-beside-reads' ? Promise<Caller> : Caller;
  /** The caller's GitHub identity with their current login (routes declaring `user: true`). */
  readonly user: U extends true ? GitHubUser : undefined;
  readonly params: Parsed<P>;
  readonly query: Q;
  readonly body: B;
  /** The caller's membership of `{accountId}` (routes declaring `member`, `manager` or `owner`). */
  readonly member: A extends 'member' | 'manager' | 'owner' ? Member : undefined;
};

export type RouteSpec<A extends Auth, P extends Record<string, ParamParser>, Q, B, U extends boolean> = {
  readonly auth: A;
  /** Read the caller's profile right after the session (401 `invalid_session` when it is gone). */
  readonly user?: U;
  /** Parsed in the order written, after the session (and the profile). */
  readonly params?: P;
  /** The query string, parsed after the parameters. */
  readonly query?: (query: HttpRequest['query']) => Q;
  /**
   * A JSON body (415/400 otherwise): a parser runs after the query and before the membership check;
   * `json` leaves the parsing to the route (`request.body`), for a route that checks the role first.
   */
  readonly body?: ((body: unknown) => B) | 'json';
  /** As in http-handler.ts: false for routes that have no use for `Idempotency-Key`. */
  readonly idempotencyKey?: false;
  readonly handle: (context: RouteContext<A, P, Q, B, U>) => Promise<HttpResponse>;
};

const invalidSession = () =>
  new UnauthorizedError('invalid_session', 'The session is not valid. Sign in again.');

/**
 * An authenticated route, declared with what it needs. Checks run in one order for every route:
 * session, profile, path parameters, query, body, membership; then `handle`. (The shared middleware
 * around it, Idempotency-Key included, is http-handler.ts's.)
 */
export function route<
  const A extends Auth,
  const P extends Record<string, ParamParser> = Record<never, ParamParser>,
  Q = undefined,
  B = undefined,
  U extends boolean = false,
>(spec: RouteSpec<A, P, Q, B, U>): Route {
  const handle = async (request: HttpRequest): Promise<HttpResponse> => {
    let caller: Caller | undefined;
    if (spec.auth === 'session-beside-reads') requirePresentedSession(request);
    else caller = await requireCaller(request);

    let user: GitHubUser | undefined;
    if (spec.user) {
      if (caller === undefined) throw new Error('A route reading the profile reads the session first');
      const profile = await getServices().users.getProfile(caller.userId);
      if (!profile) throw invalidSession();
      user = { id: profile.id, login: profile.login };
    }

    const params: Record<string, unknown> = {};
    for (const [name, parse] of Object.entries(spec.params ?? {}))
      params[name] = parse(request.pathParameters[name]);
    const query = spec.query?.(request.query);
    const body = typeof spec.body === 'function' ? spec.body(request.body) : request.body;

    let member: Member | undefined;
    if (spec.auth === 'member' || spec.auth === 'manager' || spec.auth === 'owner') {
      const accountId = params.accountId;
      if (typeof accountId !== 'string' || caller === undefined)
        throw new Error(`A ${spec.auth} route needs an accountId parameter`);
      member = await requireMember(getServices().accounts, accountId, caller.userId, ROLES[spec.auth]);
    }

    // Only now, past every check that needs no session read: nothing is left unawaited on a refusal.
    const context = {
      request,
      caller: caller ?? requireCaller(request),
      user,
      params,
      query,
      body,
      member,
    } as RouteContext<A, P, Q, B, U>;
    return spec.handle(context);
  };
  return {
    ...(spec.body === undefined ? {} : { body: 'json' as const }),
    ...(spec.idempotencyKey === false ? { idempotencyKey: false as const } : {}),
    handle,
  };
}
