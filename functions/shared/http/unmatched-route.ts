import { ROUTES } from '../service-routes.js';
import { MethodNotAllowedError, NotFoundError } from '../errors.js';

const segmentsOf = (path: string) => path.split('/').slice(1);

/** Whether a concrete path fits a route template (`{param}` matches one non-empty segment). */
function fits(template: string, path: string): boolean {
  const parts = segmentsOf(template);
  const segments = segmentsOf(path);
  return (
    parts.length === segments.length &&
    parts.every((part, index) => (/^\{\w+\}$/.test(part) ? segments[index] !== '' : part === segments[index]))
  );
}

/**
 * The error for a request no route matched (API Gateway's `$default` route, and the local server):
 * 405 `method_not_allowed` with `Allow` when the path exists under other methods, else 404 `not_found`,
 * both in the contract's `{ error, message }` shape instead of API Gateway's bare `{ message }`.
 */
export function unmatchedRouteError(method: string, path: string): NotFoundError | MethodNotAllowedError {
  const allowed = [...new Set(ROUTES.filter((route) => fits(route.path, path)).map((route) => route.method))];
  if (allowed.length === 0) return new NotFoundError('not_found', 'No such route.');
  return new MethodNotAllowedError(allowed, `${method} is not allowed here; use ${allowed.join(', ')}.`);
}
