import { BadRequestError } from '../errors.js';

/** True when `path` holds a `%` not followed by two hex digits, or escapes that are not UTF-8. */
export function hasMalformedPercentEncoding(path: string): boolean {
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

/**
 * Refuses a request path with malformed percent-encoding (`/accounts/%ZZ`) before any route sees it:
 * whether API Gateway hands such a parameter on decoded, raw or not at all, no handler decodes it
 * into something else, and no decoder throws a 500.
 */
export function assertWellEncodedPath(rawPath: string | undefined): void {
  if (rawPath !== undefined && hasMalformedPercentEncoding(rawPath)) {
    throw new BadRequestError('invalid_path', 'The request path holds malformed percent-encoding.');
  }
}
