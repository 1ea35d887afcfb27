import { ForbiddenError } from '../errors.js';
import { callerRoleArn } from '../service-access/principal.js';
import type { Route } from './http-handler.js';
import type { HttpRequest } from './request.js';
import type { HttpResponse } from './responses.js';

/** A platform back-end, as API Gateway's IAM authorizer identified it (docs/token-vending.md). */
export type ServiceCaller = {
  /** `arn:aws:iam::<account>:role/<name>`: what service access policies name. */
  roleArn: string;
  /** As the authorizer gave it: `arn:aws:sts::<account>:assumed-role/<name>/<session>`. */
  userArn: string;
};

type IamAuthorizer = { iam?: { userArn?: unknown } };

/**
 * The caller of an IAM-authorized route (`auth: 'iam'` in service-routes.ts): from the request context
 * API Gateway fills after checking the SigV4 signature, never from anything the caller sends. A
 * request without it (a route wired without the authorizer) or from anything but an IAM role is 403.
 */
export function serviceCaller(request: HttpRequest): ServiceCaller {
  const authorizer = (request.event.requestContext as { authorizer?: IamAuthorizer }).authorizer;
  const userArn = authorizer?.iam?.userArn;
  const roleArn = typeof userArn === 'string' ? callerRoleArn(userArn) : undefined;
  if (typeof userArn !== 'string' || roleArn === undefined)
    throw new ForbiddenError(
      'iam_role_required',
      'This route is for the platform’s back-ends: sign the request with AWS SigV4 as an IAM role (execute-api).',
    );
  return { roleArn, userArn };
}

type ParamParser = (value: string | undefined) => unknown;

export type ServiceRouteContext<P extends Record<string, ParamParser>, B> = {
  readonly request: HttpRequest;
  readonly caller: ServiceCaller;
  readonly params: { readonly [K in keyof P]: ReturnType<P[K]> };
  readonly body: B;
};

/**
 * An IAM-authorized route: the caller, then the path parameters, then the JSON body, then `handle`.
 * No Idempotency-Key: keys belong to signed-in users, and the answer to a vending request carries a
 * token, which must never be kept for replay; a retried request is answered from the token cache.
 */
export function serviceRoute<const P extends Record<string, ParamParser>, B>(spec: {
  readonly params?: P;
  readonly body: (body: unknown) => B;
  readonly handle: (context: ServiceRouteContext<P, B>) => Promise<HttpResponse>;
}): Route {
  return {
    body: 'json',
    idempotencyKey: false,
    handle: async (request) => {
      const caller = serviceCaller(request);
      const params: Record<string, unknown> = {};
      for (const [name, parse] of Object.entries(spec.params ?? {}))
        params[name] = parse(request.pathParameters[name]);
      const body = spec.body(request.body);
      return spec.handle({ request, caller, params, body } as ServiceRouteContext<P, B>);
    },
  };
}
