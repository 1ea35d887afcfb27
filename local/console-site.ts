import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

/** Where the console is served: the same path prefix CloudFront routes to the S3 bucket. */
export const CONSOLE_PREFIX = '/console';
export const CONSOLE_DIR = resolve(import.meta.dirname, '../console');
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

/**
 * Serves the built console the way CloudFront does in AWS: files under /console/, hashed assets
 * cached for a year, index.html never cached, and any other path under /console/ answered with
 * index.html so a deep link survives a reload. A missing asset is a 404, not index.html (a script
 * served as HTML would fail obscurely). Returns false for paths outside the console.
 */
export async function serveConsole(
  dir: string,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<boolean> {
  if (pathname !== CONSOLE_PREFIX && !pathname.startsWith(`${CONSOLE_PREFIX}/`)) return false;
  const method = (req.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method Not Allowed');
    return true;
  }
  if (pathname === CONSOLE_PREFIX) {
    res.writeHead(301, { Location: `${CONSOLE_PREFIX}/` }).end();
    return true;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice(CONSOLE_PREFIX.length + 1));
  } catch {
    relative = '';
  }
  const root = resolve(dir);
  const file = resolve(root, normalize(relative));
  const inside = file === root || file.startsWith(root + sep);
  const found = inside && relative !== '' ? await isFile(file) : false;
  if (found) return send(res, method, file, relative.startsWith('assets/'));
  if (relative.startsWith('assets/') || extname(relative) !== '') {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found');
    return true;
  }
  return send(res, method, join(root, 'index.html'), false);
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
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
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
