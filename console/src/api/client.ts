import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type ErrorBody = Schemas['Error'];

/**
 * The API sits on the console's own origin by default (npm start, one CloudFront distribution), so
 * the session cookie is first-party; VITE_API_BASE points a console hosted elsewhere at the API.
 */
export const apiBase: string = (import.meta.env.VITE_API_BASE as string | undefined) ?? '';

export const api = createClient<paths>({ baseUrl: apiBase, credentials: 'include' });

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every mutating call carries a fresh Idempotency-Key (docs/idempotency.md), so the API can tell a
 * retry from a new action; a caller retrying the same action passes its own key in `headers`, which
 * is kept. `crypto.randomUUID` exists only in secure contexts (HTTPS, localhost): elsewhere no key.
 */
api.use({
  onRequest({ request }) {
    if (!MUTATING.has(request.method) || request.headers.has('Idempotency-Key')) return undefined;
    if (new URL(request.url).pathname.endsWith('/auth/logout')) return undefined;
    if (typeof globalThis.crypto?.randomUUID !== 'function') return undefined;
    request.headers.set('Idempotency-Key', globalThis.crypto.randomUUID());
    return request;
  },
});

/** An answer of the API that is not a success, with the API's own `{ error, message }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }

  get code(): string {
    return this.body.error;
  }
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Unwraps an openapi-fetch result: the typed data, or an ApiError carrying the API's code. A body
 * that is not the API's error shape (a gateway page, a network failure) becomes `network_error`.
 */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch {
    throw new ApiError(0, { error: 'network_error', message: 'The service could not be reached.' });
  }
  if (result.response.ok) return result.data as T;
  throw new ApiError(result.response.status, asErrorBody(result.error, result.response.status));
}

function asErrorBody(error: unknown, status: number): ErrorBody {
  if (typeof error === 'object' && error !== null && 'error' in error && 'message' in error) {
    const { error: code, message } = error;
    if (typeof code === 'string' && typeof message === 'string') return error as ErrorBody;
  }
  return {
    error: status >= 500 ? 'service_unavailable' : 'unexpected_answer',
    message: `The service answered ${status}.`,
  };
}

/** Where "Sign in with GitHub" goes: the API's login, coming back to `returnTo` (absolute). */
export function loginUrl(returnTo: string = window.location.href): string {
  return `${apiBase}/auth/login?returnTo=${encodeURIComponent(returnTo)}`;
}
