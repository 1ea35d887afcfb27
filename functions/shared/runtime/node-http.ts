import { createRequire } from 'node:module';
import type * as Http from 'node:http';

/**
 * Bundles only (lib/bundling.ts aliases `node:http` to this module). On Node 22, an ESM `import` of
 * `node:http` builds the module namespace, which reads the lazy `WebSocket`/`CloseEvent` getters and
 * so loads undici: ~30 ms per cold start. `require` returns the module object without touching them.
 */
const http = createRequire(import.meta.url)('node:http') as typeof Http;
export default http;
// Every name a dependency may import by name (esbuild fails the build on a missing one).
export const {
  Agent,
  request,
  get,
  ClientRequest,
  IncomingMessage,
  OutgoingMessage,
  Server,
  ServerResponse,
  STATUS_CODES,
  METHODS,
  createServer,
  globalAgent,
  maxHeaderSize,
  validateHeaderName,
  validateHeaderValue,
} = http;
