import { BadRequestError } from '../errors.js';

/**
 * Where sign-in may send the browser back to: an absolute URL on a configured frontend origin, or a
 * path on the first one. Anything else (other hosts, `//evil`, `javascript:`) is refused: 400.
 */
export function validateReturnTo(value: string | undefined, frontendOrigins: readonly string[]): string {
  const [home] = frontendOrigins;
  if (!home) throw new BadRequestError('invalid_return_to', 'No frontend origin is configured.');
  if (value === undefined || value === '') return `${home}/`;
  let url: URL;
  try {
    url = value.startsWith('/') && !value.startsWith('//') ? new URL(value, home) : new URL(value);
  } catch {
    throw new BadRequestError('invalid_return_to', 'returnTo must be a URL on the platform frontend.');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !frontendOrigins.includes(url.origin)) {
    throw new BadRequestError('invalid_return_to', 'returnTo must be a URL on the platform frontend.');
  }
  return url.toString();
}

/** Adds query parameters to a return URL (sign-in outcome for the frontend). */
export function withQuery(url: string, params: Record<string, string>): string {
  const target = new URL(url);
  for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
  return target.toString();
}
