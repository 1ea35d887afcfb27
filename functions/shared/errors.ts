/**
 * Typed errors every layer throws. Each carries the HTTP status and a stable machine-readable code;
 * `http/error-response.ts` is the one place that turns them into responses.
 */
export abstract class AppError extends Error {
  abstract readonly statusCode: number;
  readonly code: string;
  /** Extra response headers (e.g. Retry-After). Never put secrets here. */
  readonly headers: Record<string, string>;
  /** Extra fields for the response body beside `error` and `message` (e.g. `loginUrl`). */
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string>; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.headers = options?.headers ?? {};
    this.details = options?.details ?? {};
  }
}

export class BadRequestError extends AppError {
  readonly statusCode = 400;
  constructor(code: string, message: string) {
    super(code, message);
  }
}

export class UnauthorizedError extends AppError {
  readonly statusCode = 401;
  constructor(code = 'unauthorized', message = 'A valid session is required.') {
    super(code, message);
  }
}

/** The user's GitHub authorization is gone (refresh refused, revoked, expired): sign in again. */
export class ReauthorizationRequiredError extends AppError {
  readonly statusCode = 401;
  constructor(
    loginUrl: string,
    message = 'GitHub no longer accepts this sign-in. Sign in with GitHub again.',
  ) {
    super('reauthorization_required', message, { details: { loginUrl } });
  }
}

export class ForbiddenError extends AppError {
  readonly statusCode = 403;
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details ? { details } : undefined);
  }
}

/** The App's installation lacks a permission this needs: `permission` names it (e.g. `workflows`). */
export class InstallationPermissionMissingError extends ForbiddenError {
  constructor(permission: string, message: string) {
    super('installation_permission_missing', message, { permission });
  }
}

/**
 * GitHub refused the user's token on an organisation that enforces SAML SSO (`X-GitHub-SSO: required`):
 * the user must sign in there at `url` (GitHub's, valid about an hour), then retry. Not a ForbiddenError:
 * no other check changes the answer.
 */
export class SsoAuthorizationRequiredError extends AppError {
  readonly statusCode = 403;
  constructor(url: string, organization?: string) {
    super(
      'sso_authorization_required',
      `${organization ?? 'The organization'} requires SAML single sign-on: sign in there with its identity provider at url, then try again.`,
      { details: { url } },
    );
  }
}

export class NotFoundError extends AppError {
  readonly statusCode = 404;
  constructor(code = 'not_found', message = 'Not found.') {
    super(code, message);
  }
}

/** The path exists, the method does not: `Allow` lists the methods it has. */
export class MethodNotAllowedError extends AppError {
  readonly statusCode = 405;
  constructor(allowed: readonly string[], message: string) {
    super('method_not_allowed', message, { headers: { Allow: allowed.join(', ') } });
  }
}

export class ConflictError extends AppError {
  readonly statusCode = 409;
  constructor(code: string, message: string) {
    super(code, message);
  }
}

export class PayloadTooLargeError extends AppError {
  readonly statusCode = 413;
  constructor(message: string, code = 'payload_too_large') {
    super(code, message);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  readonly statusCode = 415;
  constructor(message = 'Content-Type must be application/json.') {
    super('unsupported_media_type', message);
  }
}

/**
 * An abuse limit refused the request (docs/security.md "Abuse limits"); nothing was written.
 * `Retry-After`: whole seconds until the limit frees a slot.
 */
export class TooManyRequestsError extends AppError {
  readonly statusCode = 429;
  constructor(message: string, retryAfterSeconds: number) {
    super('too_many_requests', message, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class NotImplementedError extends AppError {
  readonly statusCode = 501;
  constructor(message = 'This route is part of the contract but is not implemented yet.') {
    super('not_implemented', message);
  }
}

/** GitHub (or another upstream) failed: 502 for a bad answer, 503 when it asked us to come back later. */
export class UpstreamError extends AppError {
  readonly statusCode: 502 | 503;
  constructor(
    code: string,
    message: string,
    options: {
      statusCode?: 502 | 503;
      retryAfterSeconds?: number;
      cause?: unknown;
      details?: Record<string, unknown>;
    } = {},
  ) {
    super(code, message, {
      cause: options.cause,
      headers:
        options.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(options.retryAfterSeconds) },
      ...(options.details ? { details: options.details } : {}),
    });
    this.statusCode = options.statusCode ?? 502;
  }
}

/** A dependency of ours (DynamoDB) is throttling or unreachable: nothing was decided, try again shortly. */
export class ServiceUnavailableError extends AppError {
  readonly statusCode = 503;
  constructor(options: { retryAfterSeconds: number; cause?: unknown }) {
    super('service_unavailable', 'The service is busy or briefly unavailable. Try again shortly.', {
      cause: options.cause,
      headers: { 'Retry-After': String(options.retryAfterSeconds) },
    });
  }
}

/** A setting or secret is missing or malformed: an operator's problem, shown to callers as a plain 500. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** A conditional write lost (item exists, version moved on, lease held). Adapters translate SDK errors into it. */
export class ConditionFailedError extends Error {
  /** For transactions: the positions of the operations whose condition failed. */
  readonly failedOperations: readonly number[];

  constructor(
    message = 'The conditional write did not apply.',
    options?: { cause?: unknown; failedOperations?: readonly number[] },
  ) {
    super(message, options);
    this.name = 'ConditionFailedError';
    this.failedOperations = options?.failedOperations ?? [];
  }
}
