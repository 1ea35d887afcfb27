import { createRequire } from 'node:module';
import type * as Https from 'node:https';

/** Bundles only: `node:https` through `require`, for the reason node-http.ts gives. */
const https = createRequire(import.meta.url)('node:https') as typeof Https;
export default https;
export const { Agent, request, get } = https;
