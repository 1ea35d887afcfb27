/**
 * Another "Lambda container": its own process running the real handlers behind a local API server,
 * sharing only the table (and GitHub) with the test. Prints `READY <url>` when it listens.
 */
import { startLocalApiServer } from '../../local/api-server.js';

const server = await startLocalApiServer({ port: 0, frontendOrigins: [process.env.FRONTEND_ORIGINS ?? ''] });
process.stdout.write(`READY ${server.url}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
