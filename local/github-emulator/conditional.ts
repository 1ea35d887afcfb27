import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Conditional requests, as "Best practices for using the REST API" describes them: a GET answer carries
 * an `ETag` (a hash of what was answered: the body and its `Link` header, so every page has its own)
 * and, for a single resource with `updated_at`, a `Last-Modified`. A request whose `If-None-Match`
 * names the current ETag, or (without If-None-Match) whose `If-Modified-Since` is not older than
 * Last-Modified, is answered `304 Not Modified` with no body.
 */
export type Validators = { ETag: string; 'Last-Modified'?: string };

export function validatorsFor(payload: string, body: unknown, link: string | undefined): Validators {
  const hash = createHash('sha256')
    .update(payload)
    .update('\n')
    .update(link ?? '')
    .digest('hex');
  const validators: Validators = { ETag: `W/"${hash}"` };
  const modified = lastModified(body);
  if (modified !== undefined) validators['Last-Modified'] = new Date(modified).toUTCString();
  return validators;
}

/** The latest of `updated_at`/`pushed_at` of a single resource (lists get no Last-Modified). */
function lastModified(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const times = [record.updated_at, record.pushed_at]
    .filter((value): value is string => typeof value === 'string')
    .map((value) => Date.parse(value))
    .filter((value) => Number.isFinite(value));
  return times.length ? Math.max(...times) : undefined;
}

/** Weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`; `*` matches anything. */
const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

export function isNotModified(headers: IncomingHttpHeaders, validators: Validators): boolean {
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const tags = String(ifNoneMatch).split(',');
    return tags.some((tag) => tag.trim() === '*' || opaque(tag) === opaque(validators.ETag));
  }
  const ifModifiedSince = headers['if-modified-since'];
  const modified = validators['Last-Modified'];
  if (ifModifiedSince === undefined || modified === undefined) return false;
  const since = Date.parse(String(ifModifiedSince));
  return Number.isFinite(since) && Date.parse(modified) <= since;
}
