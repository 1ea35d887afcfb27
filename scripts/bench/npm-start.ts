/**
 * Warm latency on `npm start` as users run it: local/start.ts in its own process (on-disk DynamoDB
 * Local, the request log on, the seeded GitHub emulator), on free ports and a fresh data folder,
 * stopped with Ctrl-C at the end. The bench's other warm rows use an in-memory table in-process.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import type { LocalSecretsFile } from '../../local/local-secrets.js';
import { HttpBrowser } from '../../test/support/http-browser.js';
import { startNpmStart, stopNpmStart } from '../../test/support/npm-start.js';
import { percentile } from './stats.js';
import { benchInstallation } from './payloads.js';

const WARM_P99_MS = 50;
const N = 200;

export async function benchNpmStart(): Promise<{ failures: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-npm-start-'));
  const app = await startNpmStart({ dataDir });
  const failures: string[] = [];
  try {
    const admin = new EmulatorAdmin(app.emulatorUrl);
    const user = await new HttpBrowser(app.apiUrl).signIn('octo-demo');
    const created = await user.send('/accounts', 'POST', { name: 'Bench' });
    const account = ((await created.json()) as { id: string }).id;
    const world = await admin.call<{ installations: Array<{ id: number; account: string }> }>(
      'GET',
      '/world',
    );
    const org = world.installations.find((installation) => installation.account === 'octo-org')?.id;
    if (created.status !== 201 || org === undefined) throw new Error('npm start: no account or no octo-org');
    await user.send(`/accounts/${account}/installations/${org}`, 'PUT');
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as LocalSecretsFile;
    let next = 95_000;
    const webhook = async () => {
      const id = next++;
      const body = JSON.stringify({
        action: 'created',
        installation: benchInstallation(id),
        repositories: [],
        sender: { id: 1, login: 'x', type: 'User' },
      });
      return fetch(`${app.apiUrl}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'installation',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': await sign(secrets.githubApp.webhookSecret, body),
        },
        body,
      });
    };

    console.log(
      `\nWarm latency on \`npm start\` as users run it (on-disk DynamoDB Local, request log on; ${N} sequential requests after 10 warm-up, target p99 ≤ ${WARM_P99_MS} ms)`,
    );
    console.log('request                                      n    p50 ms   p95 ms   p99 ms');
    const measure = async (label: string, gated: boolean, run: () => Promise<Response>) => {
      for (let i = 0; i < 10; i++) await (await run()).arrayBuffer();
      const times: number[] = [];
      for (let i = 0; i < N; i++) {
        const t = performance.now();
        const response = await run();
        await response.arrayBuffer();
        times.push(performance.now() - t);
        if (response.status >= 300) throw new Error(`npm start: ${label} answered ${response.status}`);
      }
      times.sort((a, b) => a - b);
      const p99 = percentile(times, 99);
      if (gated && p99 > WARM_P99_MS) failures.push(`npm start ${label}`);
      console.log(
        `${label.padEnd(43)} ${String(N).padStart(4)} ${percentile(times, 50).toFixed(1).padStart(8)} ${percentile(times, 95).toFixed(1).padStart(8)} ${p99.toFixed(1).padStart(8)}${gated ? `  ${p99 <= WARM_P99_MS ? 'PASS' : 'FAIL'}` : ''}`,
      );
    };
    await measure('GET  /accounts/{id}/installations', true, () =>
      user.fetch(`${app.apiUrl}/accounts/${account}/installations`),
    );
    await measure('PUT  /accounts/{id}/installations/{id}', true, () =>
      user.send(`/accounts/${account}/installations/${org}`, 'PUT'),
    );
    await measure('POST /webhooks/github (installation)', true, webhook);
    await measure('GET  /me', true, () => user.fetch(`${app.apiUrl}/me`));
    console.log(
      `warm p99 on npm start of list/link/webhook/me ≤ ${WARM_P99_MS} ms: ${failures.length === 0 ? 'PASS' : 'FAIL'}`,
    );
  } finally {
    const code = await stopNpmStart(app);
    if (code !== 0) console.log(`npm start exited with ${code}`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { failures };
}
