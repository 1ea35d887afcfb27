/**
 * The local API server in front of the bundles `cdk synth` wrote (not the TypeScript sources): each
 * route's function is the `index.mjs` its Lambda would load. Started by the bundle suite
 * (test/bundles/) as a plain Node process on Lambda's Node version, with the environment the stack
 * gives the functions (local/bundles.ts bundleEnvironment). Prints `READY <url> <node version>`.
 *
 *   BUNDLES_DIR  the cdk.out folder (default cdk.out)
 *   PORT         port to listen on (default: a free one)
 */
import { pathToFileURL } from 'node:url';
import type { HttpLambdaHandler } from '../functions/shared/http/http-handler.js';
import { startLocalApiServer } from './api-server.js';
import { readBundles } from './bundles.js';

const bundles = readBundles(process.env.BUNDLES_DIR ?? 'cdk.out');
const frontendOrigins = (process.env.FRONTEND_ORIGINS ?? '').split(',').map((origin) => origin.trim());

const api = await startLocalApiServer({
  port: Number(process.env.PORT ?? 0),
  frontendOrigins,
  loadHandler: async (fn) =>
    (await import(pathToFileURL(bundles[fn].file).href)) as { handler: HttpLambdaHandler },
});
process.stdout.write(`READY ${api.url} ${process.version}\n`);

const stop = () => void api.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
