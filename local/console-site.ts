import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import {
  CACHE_CONTROL,
  CONSOLE_PREFIX,
  CONSOLE_SECURITY_HEADERS,
  consoleContentSecurityPolicy,
  loadViewerRequest,
} from '../lib/console/hosting.js';

import { CONSOLE_DIR } from '../lib/console/build.js';

export { CONSOLE_DIR, CONSOLE_PREFIX };
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Builds the console with Vite (npm start does this before serving). Each npm start builds into its
 * own data folder, so several local stacks (the test suites start many) never share one output.
 */
export async function buildConsole(options: { outDir?: string; quiet?: boolean } = {}): Promise<string> {
  const outDir = resolve(options.outDir ?? CONSOLE_DIST);
  const { build } = await import('vite');
  await build({
    configFile: join(CONSOLE_DIR, 'vite.config.ts'),
    logLevel: options.quiet ? 'warn' : 'info',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

// Loaded on first use: the bundled test server (test/support/bundled-service.ts) never serves the console.
let viewerRequest: ReturnType<typeof loadViewerRequest> | undefined;
// Locally the emulator serves avatars over plain http; in AWS, GitHub serves them over https.
const CONTENT_SECURITY_POLICY = consoleContentSecurityPolicy(['http:']);

/**
 * Serves the built console the way CloudFront does in AWS: the same viewer-request function decides
 * (405 for writes, /console → /console/, deep links → index.html, missing assets stay 404), then the
 * file is read as S3 would return it, never from outside the console's folder. Hashed assets are cached
 * for a year, index.html revalidated on every load, with the console's security headers. Returns false outside /console.
 */
export async function serveConsole(
  dir: string,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<boolean> {
  if (pathname !== CONSOLE_PREFIX && !pathname.startsWith(`${CONSOLE_PREFIX}/`)) return false;
  const method = (req.method ?? 'GET').toUpperCase();
  viewerRequest ??= loadViewerRequest();
  const decided = viewerRequest({ request: { uri: pathname, method } });
  if ('statusCode' in decided) {
    const headers = Object.fromEntries(
      Object.entries(decided.headers).map(([name, { value }]) => [name, value]),
    );
    res.writeHead(decided.statusCode, { ...headers, ...securityHeaders() }).end();
    return true;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(decided.uri.slice(CONSOLE_PREFIX.length + 1));
  } catch {
    relative = '';
  }
  // S3 only holds the console's own keys: here, a path resolving outside the folder is simply missing.
  const root = resolve(dir);
  const file = resolve(root, normalize(relative));
  const inside = file.startsWith(root + sep) && !relative.includes('\0');
  if (inside && (await isFile(file))) return send(res, method, file, relative.startsWith('assets/'));
  res
    .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders() })
    .end(method === 'HEAD' ? undefined : 'Not Found');
  return true;
}

function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': CONSOLE_SECURITY_HEADERS.xContentTypeOptions,
    'X-Frame-Options': CONSOLE_SECURITY_HEADERS.xFrameOptions,
    'Referrer-Policy': CONSOLE_SECURITY_HEADERS.referrerPolicy,
  };
}

async function send(res: ServerResponse, method: string, file: string, immutable: boolean): Promise<boolean> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    res
      .writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' })
      .end('The console is not built: run npm run console:build');
    return true;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': immutable ? CACHE_CONTROL.asset : CACHE_CONTROL.index,
    ...securityHeaders(),
  });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
