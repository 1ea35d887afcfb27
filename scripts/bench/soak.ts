/**
 * `npm run bench:soak` (also run by `npm run bench`): `npm start` as a user runs it — on-disk DynamoDB
 * Local, the seeded emulator, the request log on — under concurrency 20 for 3 minutes over the routes a
 * console session uses: GET /me, list installations, list repositories with and without `q`, a
 * repeated link (PUT) and a signed webhook. GitHub's limits are relaxed in the emulator
 * (PUT /_emulator/limits {"enforce": false}): one user at concurrency 20 for 3 minutes is past GitHub's
 * hourly budget by design, and this measures the service, not the budget.
 * Prints p50/p95/p99 per route and the 5xx; targets p99 ≤ 500 ms per route and no 5xx (issue #20).
 *
 * Options: --duration <seconds> (default 180), --concurrency <n> (default 20).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sign } from '@octokit/webhooks-methods';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { DEMO_WORLD } from '../../local/github-emulator/seed.js';
import type { LocalSecretsFile } from '../../local/local-secrets.js';
import { HttpBrowser } from '../../test/support/http-browser.js';
import { startNpmStart, stopNpmStart, type NpmStart } from '../../test/support/npm-start.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.BENCH_SOAK_SECONDS ?? '180' },
    concurrency: { type: 'string', default: '20' },
  },
});
const durationSeconds = Number(values.duration);
const concurrency = Number(values.concurrency);
if (!(durationSeconds > 0) || !Number.isInteger(concurrency) || concurrency < 1)
  throw new Error('--duration must be > 0 seconds and --concurrency an integer ≥ 1');
const TARGET_P99_MS = 500;

type Sample = { ms: number; status: number };
type Route = { label: string; run: (i: number) => Promise<Response> };

const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

async function json<T>(response: Response, status: number, what: string): Promise<T> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`${what}: expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A `repository.created` delivery as GitHub sends it for the seeded organisation's installation. */
function repositoryCreated(installationId: number, org: { id: number; login: string }, n: number) {
  const id = 9_000_000 + n;
  const name = `soak-${n}`;
  const fullName = `${org.login}/${name}`;
  return {
    action: 'created',
    repository: {
      id,
      node_id: Buffer.from(`0:Repository${id}`).toString('base64'),
      name,
      full_name: fullName,
      private: false,
      visibility: 'public',
      owner: { login: org.login, id: org.id, type: 'Organization' },
      html_url: `https://github.com/${fullName}`,
      description: null,
      fork: false,
      archived: false,
      disabled: false,
      default_branch: 'main',
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      pushed_at: new Date().toISOString(),
    },
    organization: { login: org.login, id: org.id },
    installation: { id: installationId },
    sender: { login: DEMO_WORLD.user, id: 1, type: 'User' },
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'bench-soak-'));
let app: NpmStart | undefined;
// Stop npm start (and its DynamoDB Local and emulator) whatever happens, Ctrl-C included.
const stop = async () => {
  if (app) await stopNpmStart(app).catch(() => undefined);
  app = undefined;
  rmSync(dataDir, { recursive: true, force: true });
};
process.once('SIGINT', () => void stop().then(() => process.exit(130)));
process.once('SIGTERM', () => void stop().then(() => process.exit(143)));

try {
  const cpu = cpus();
  console.log(
    `\nSoak on npm start: concurrency ${concurrency} for ${durationSeconds} s — ${new Date().toISOString()}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, load average ${loadavg()[0]?.toFixed(1)}`,
  );
  app = await startNpmStart({ dataDir });
  const admin = new EmulatorAdmin(app.emulatorUrl);
  const limits = await admin.call('PUT', '/limits', { enforce: false });
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as LocalSecretsFile;
  const user = await new HttpBrowser(app.apiUrl).signIn(DEMO_WORLD.user);
  const account = (
    await json<{ id: string }>(await user.send('/accounts', 'POST', { name: 'Soak' }), 201, 'create account')
  ).id;
  const world = await admin.call<{
    installations: Array<{ id: number; account: string }>;
    accounts: Array<{ id: number; login: string }>;
  }>('GET', '/world');
  const linkable = world.installations
    .filter((i) => i.account === DEMO_WORLD.user || i.account === DEMO_WORLD.org)
    .map((i) => i.id);
  for (const id of linkable)
    await json(await user.send(`/accounts/${account}/installations/${id}`, 'PUT'), 201, 'first link');
  const orgInstallation = world.installations.find((i) => i.account === DEMO_WORLD.org)?.id ?? 0;
  const org = world.accounts.find((a) => a.login === DEMO_WORLD.org) ?? { id: 0, login: DEMO_WORLD.org };

  const api = (path: string) => `${app?.apiUrl ?? ''}${path}`;
  const routes: Route[] = [
    { label: 'GET  /me', run: () => user.fetch(api('/me')) },
    {
      label: 'GET  /accounts/{id}/installations',
      run: () => user.fetch(api(`/accounts/${account}/installations`)),
    },
    {
      label: 'GET  /accounts/{id}/repositories',
      run: () => user.fetch(api(`/accounts/${account}/repositories?limit=100`)),
    },
    {
      label: 'GET  /accounts/{id}/repositories?q=',
      run: (i) =>
        user.fetch(
          api(`/accounts/${account}/repositories?q=${['service', 'web', 'app', 'template'][i % 4]}`),
        ),
    },
    {
      label: 'PUT  /accounts/{id}/installations/{id}',
      run: (i) =>
        user.send(`/accounts/${account}/installations/${linkable[i % linkable.length] ?? 0}`, 'PUT'),
    },
    {
      label: 'POST /webhooks/github (repository)',
      run: async (i) => {
        const body = JSON.stringify(repositoryCreated(orgInstallation, org, i));
        return fetch(api('/webhooks/github'), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'repository',
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': await sign(secrets.githubApp.webhookSecret, body),
            'user-agent': 'GitHub-Hookshot/bench',
          },
          body,
        });
      },
    },
  ];
  // Warm-up: every route answers as expected once before the clock starts.
  for (const [i, route] of routes.entries()) {
    const response = await route.run(i);
    await response.arrayBuffer();
    if (response.status >= 300) throw new Error(`${route.label} answered ${response.status} in the warm-up`);
  }

  const samples = new Map<string, Sample[]>(routes.map((route) => [route.label, []]));
  const failures = new Map<string, string>();
  const deadline = performance.now() + durationSeconds * 1000;
  let sequence = 0;
  // Each worker goes round the routes from its own starting point: every route is always in the mix.
  const worker = async (w: number) => {
    for (let step = w; performance.now() < deadline; step++) {
      const route = routes[step % routes.length];
      if (!route) continue;
      const n = sequence++;
      const t = performance.now();
      let status = 0;
      try {
        const response = await route.run(n);
        const text = await response.text();
        status = response.status;
        if (status >= 300 && !failures.has(`${route.label} ${status}`))
          failures.set(`${route.label} ${status}`, text.slice(0, 300));
      } catch (error) {
        failures.set(`${route.label} network`, (error as Error).message);
      }
      samples.get(route.label)?.push({ ms: performance.now() - t, status });
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;

  const total = [...samples.values()].reduce((sum, list) => sum + list.length, 0);
  console.log(
    `limits ${JSON.stringify(limits)}; ${total} requests in ${seconds.toFixed(0)} s (${(total / seconds).toFixed(0)}/s); load average at the end ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    `route                                        n     p50 ms   p95 ms   p99 ms  5xx  other≠2xx  p99 ≤ ${TARGET_P99_MS} ms`,
  );
  let allOk = true;
  let all5xx = 0;
  for (const route of routes) {
    const list = samples.get(route.label) ?? [];
    const times = list.map((s) => s.ms).sort((a, b) => a - b);
    const fivexx = list.filter((s) => s.status >= 500 || s.status === 0).length;
    const other = list.filter((s) => s.status >= 300 && s.status < 500).length;
    const p99 = percentile(times, 99);
    const ok = p99 <= TARGET_P99_MS && fivexx === 0 && other === 0;
    allOk &&= ok;
    all5xx += fivexx;
    console.log(
      `${route.label.padEnd(42)} ${String(list.length).padStart(6)} ${percentile(times, 50).toFixed(1).padStart(8)} ${percentile(times, 95).toFixed(1).padStart(8)} ${p99.toFixed(1).padStart(8)} ${String(fivexx).padStart(4)} ${String(other).padStart(10)}  ${pass(ok)}`,
    );
  }
  for (const [what, body] of failures) console.log(`  first answer of ${what}: ${body}`);
  console.log(`${pass(all5xx === 0)}  soak: 0 5xx (${all5xx})`);
  console.log(`${pass(allOk)}  soak: every route p99 ≤ ${TARGET_P99_MS} ms, every answer 2xx`);
  const requestLines = app
    .output()
    .split('\n')
    .filter((line) => / → \d{3} \(/.test(line)).length;
  console.log(`npm start's request log: ${requestLines} lines`);
  process.exitCode = allOk ? 0 : 1;
} finally {
  await stop();
}
