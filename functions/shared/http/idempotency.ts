import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AppError, BadRequestError } from '../errors.js';
import { logger } from '../logger.js';
import type { IdempotencyStore, StoredAnswer } from '../store/idempotency-store.js';
import type { HttpRequest } from './request.js';
import type { HttpResponse } from './responses.js';

/** The `Idempotency-Key` header (IETF httpapi draft) on mutating routes: docs/idempotency.md. */
export const IDEMPOTENCY = {
  /** Visible ASCII, as the draft's examples (UUIDs) and every client library use. */
  maxKeyLength: 255,
  /** Larger answers are not kept (the key is released instead): every mutating answer is far smaller. */
  maxBodyBytes: 64 * 1024,
  /** A claim outlives the function's remaining time by this much, so a killed request frees its key. */
  lockMarginSeconds: 5,
  /** Without a Lambda context: the longest HTTP function timeout (29 s) and the margin. */
  defaultLockSeconds: 35,
  /** How long a caller is asked to wait while the first request with its key is still running. */
  retryAfterSeconds: 2,
} as const;

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isMutatingRoute(routeKey: string): boolean {
  return MUTATING.has(routeKey.split(' ')[0] ?? '');
}

class IdempotencyKeyReusedError extends AppError {
  readonly statusCode = 422;
  constructor() {
    super(
      'idempotency_key_reused',
      'This Idempotency-Key was already used for another request (another route or body): use a new key.',
    );
  }
}

class RequestInProgressError extends AppError {
  readonly statusCode = 409;
  constructor() {
    super(
      'request_in_progress',
      'A request with this Idempotency-Key is still being processed: send it again after Retry-After seconds.',
      { headers: { 'Retry-After': String(IDEMPOTENCY.retryAfterSeconds) } },
    );
  }
}

/** The key as sent: a plain token, or the draft's Structured Field string (`"…"`). */
function parseKey(raw: string): string {
  const value = raw.trim();
  const key = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (key.length === 0 || key.length > IDEMPOTENCY.maxKeyLength || !/^[\x21-\x7e]+$/.test(key))
    throw new BadRequestError(
      'invalid_idempotency_key',
      `Idempotency-Key must be 1 to ${IDEMPOTENCY.maxKeyLength} visible ASCII characters (a UUID, say).`,
    );
  return key;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data);

/** What makes two requests "the same": the route, its path parameters and the body's exact bytes. */
function fingerprint(request: HttpRequest): string {
  const params = Object.entries(request.pathParameters).sort(([a], [b]) => (a < b ? -1 : 1));
  return sha256(`${request.routeKey}\n${JSON.stringify(params)}\n`)
    .update(request.rawBody)
    .digest('hex');
}

function lockSeconds(context: Context | undefined): number {
  const remainingMs =
    typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  return remainingMs === undefined || !Number.isFinite(remainingMs)
    ? IDEMPOTENCY.defaultLockSeconds
    : Math.ceil(remainingMs / 1000) + IDEMPOTENCY.lockMarginSeconds;
}

function replay(answer: StoredAnswer): HttpResponse {
  return {
    statusCode: answer.statusCode,
    headers: {
      ...(answer.body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
      'Cache-Control': 'no-store',
      'Idempotent-Replayed': 'true',
    },
    ...(answer.body === undefined ? {} : { body: answer.body }),
  };
}

/**
 * 4xx codes that ask the caller to send the same request again (without a Retry-After): replaying
 * them would keep answering "try again" to the very retry they ask for.
 */
const TRY_AGAIN_CODES = new Set(['creation_in_progress']);

const header = (response: HttpResponse, name: string) =>
  Object.entries(response.headers).find(([key]) => key.toLowerCase() === name)?.[1];

/**
 * What of an answer is kept for replay, or undefined when it must not be (the key is released, and a
 * retry runs again): a final outcome only (below 500, no Retry-After, no "try again" code), as JSON
 * (or no body) without cookies, at most `maxBodyBytes`. Nothing else (no token, no session) is kept.
 */
export function keptAnswer(response: HttpResponse): StoredAnswer | undefined {
  if (response.statusCode >= 500 || header(response, 'retry-after') !== undefined) return undefined;
  if (response.cookies?.length) return undefined;
  const body = typeof response.body === 'string' && response.body !== '' ? response.body : undefined;
  if (body === undefined) return { statusCode: response.statusCode, body };
  if (!header(response, 'content-type')?.startsWith('application/json')) return undefined;
  if (Buffer.byteLength(body) > IDEMPOTENCY.maxBodyBytes) return undefined;
  if (response.statusCode >= 400 && TRY_AGAIN_CODES.has(errorCode(body) ?? '')) return undefined;
  return { statusCode: response.statusCode, body };
}

function errorCode(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' &&
      parsed !== null &&
      'error' in parsed &&
      typeof parsed.error === 'string'
      ? parsed.error
      : undefined;
  } catch {
    return undefined;
  }
}

type Claim = { store: IdempotencyStore; userId: number; keyDigest: string; claim: string };

/** Who is calling, and the store: provided by auth/context.ts, which every authenticated route loads. */
export type IdempotencyProvider = {
  callerId(request: HttpRequest): Promise<number>;
  store(): IdempotencyStore;
};

let provider: IdempotencyProvider | undefined;

/**
 * Registered by auth/context.ts when it loads, so that this module (in every function's bundle, via
 * http-handler.ts) pulls in neither the session code nor the services: the health and webhook functions
 * stay small. A function with mutating routes authenticates its callers, so it always has loaded it.
 */
export function provideIdempotency(value: IdempotencyProvider): void {
  provider = value;
}

/**
 * Idempotency-Key for every mutating route of a function, in one place (http-handler.ts uses it around
 * its dispatch): `begin` before the route runs claims the caller's key, or answers with the first
 * request's outcome (same body), 422 `idempotency_key_reused` (another body) or 409
 * `request_in_progress` (still running); the middleware records the outcome once the answer is final
 * (after the error mapping). 4xx answers are kept and replayed; 5xx ones release the key, so a retry
 * runs again.
 */
export function idempotentRequests() {
  const claims = new WeakMap<APIGatewayProxyEventV2, Claim>();

  const begin = async (
    request: HttpRequest,
    context: Context | undefined,
  ): Promise<HttpResponse | undefined> => {
    const header = request.headers['idempotency-key'];
    if (header === undefined || !isMutatingRoute(request.routeKey)) return undefined;
    const key = parseKey(header);
    if (!provider) throw new Error('Idempotency-Key on a function that never loaded auth/context.ts');
    const userId = await provider.callerId(request);
    const keyDigest = sha256(key).digest('base64url');
    const store = provider.store();
    const begun = await store.begin(userId, keyDigest, fingerprint(request), lockSeconds(context));
    switch (begun.kind) {
      case 'claimed':
        claims.set(request.event, { store, userId, keyDigest, claim: begun.claim });
        return undefined;
      case 'replay':
        logger.info('Idempotent replay', { status: begun.answer.statusCode });
        return replay(begun.answer);
      case 'in_progress':
        throw new RequestInProgressError();
      case 'reused':
        throw new IdempotencyKeyReusedError();
    }
  };

  const record = async (request: {
    event: APIGatewayProxyEventV2;
    response: HttpResponse | null | undefined;
  }) => {
    const claim = claims.get(request.event);
    if (!claim) return;
    claims.delete(request.event);
    const { store, userId, keyDigest } = claim;
    const answer = request.response ? keptAnswer(request.response) : undefined;
    try {
      if (answer) await store.complete(userId, keyDigest, claim.claim, answer);
      else await store.release(userId, keyDigest, claim.claim);
    } catch (error) {
      // The answer stands either way: the claim then simply expires (a retry waits, then runs again).
      logger.warn('Idempotency key not recorded', { error });
    }
  };

  const middleware: MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context> = {
    after: record,
    onError: record,
  };
  return { begin, middleware };
}
