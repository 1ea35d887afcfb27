import { createRequire } from 'node:module';
import type * as Https from 'node:https';

/** Bundles only: `node:https` through `require`, for the reason node-http.ts gives. */
const https = createRequire(import.meta.url)('node:https') as typeof Https;
export default https;
// Every name a dependency may import by name (esbuild fails the build on a missing one).
export const { Agent, request, get, Server, createServer, globalAgent } = https;
