import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';

/** Where the console lives on the API's origin: CloudFront's /console/* behaviour, npm start's prefix. */
export const CONSOLE_PREFIX = '/console';

/** The CloudFront Function's source (cloudfront-js-2.0), also run by npm start's console server. */
export const VIEWER_REQUEST_FILE = fileURLToPath(new URL('./viewer-request.js', import.meta.url));

export type ViewerRequest = { uri: string; method: string };
export type ViewerResponse = {
  statusCode: number;
  statusDescription: string;
  headers: Record<string, { value: string }>;
};

/** The function's handler, loaded from its file: a rewritten request, or CloudFront's own answer. */
export function loadViewerRequest(): (event: { request: ViewerRequest }) => ViewerRequest | ViewerResponse {
  const source = readFileSync(VIEWER_REQUEST_FILE, 'utf8');
  // The file is a CloudFront Function (no module syntax): run in a context of its own, for its handler.
  return runInNewContext(`${source}\nhandler;`, {}, { filename: VIEWER_REQUEST_FILE }) as ReturnType<
    typeof loadViewerRequest
  >;
}

/**
 * The console's Content-Security-Policy: its own scripts and styles only, the API on the same origin,
 * avatars from GitHub (any https host: GitHub Enterprise serves its own), never framed.
 * `extraImageSources` lets npm start allow the emulator's plain-http avatars.
 */
export function consoleContentSecurityPolicy(extraImageSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: https: ${extraImageSources.join(' ')}`.trim(),
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Security headers on every console answer (CloudFront's response headers policy, npm start alike). */
export const CONSOLE_SECURITY_HEADERS = {
  xContentTypeOptions: 'nosniff',
  xFrameOptions: 'DENY',
  referrerPolicy: 'same-origin',
  strictTransportSecurity: 'max-age=63072000; includeSubDomains',
} as const;

/** Hashed assets are immutable for a year; index.html is revalidated on every load. */
export const CACHE_CONTROL = {
  asset: 'public, max-age=31536000, immutable',
  index: 'no-cache',
} as const;
