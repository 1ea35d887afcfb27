/**
 * `npm run github-emulator [-- --port 3001]`: the GitHub emulator alone, for anyone to script against.
 * Register an App, users and installations through /_emulator/ (docs/github-emulator.md).
 */
import { parseArgs } from 'node:util';
import { assertPortFree } from '../ports.js';
import { startGitHubEmulator } from './server.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: process.env.GITHUB_EMULATOR_PORT ?? '3001' } },
});
const port = Number(values.port);

try {
  await assertPortFree(port, '--port');
  const emulator = await startGitHubEmulator({ port });
  console.log(`GitHub emulator on ${emulator.url}  (control API: ${emulator.url}/_emulator/world)`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`Could not start: ${(error as Error).message}`);
  process.exit(1);
}
