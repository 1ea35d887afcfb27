/**
 * `npm run bench`: the figures the design targets, measured here (never asserted in tests).
 *   1. bundle size of every function, built exactly as `cdk deploy` builds it (lib/bundling.ts);
 *   2. cold-start import time of each bundle in a fresh Node process (median of 7);
 *   3. warm request latency through the local API server with DynamoDB Local (p50/p95/p99);
 *   4. GitHub calls per operation, from the emulator's call log.
 * Reference (README "Benchmarks", same bundling on these machines): a Probot + adapter-aws-lambda handler is
 * about 2.6 MB and 450 ms to import.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { sign } from '@octokit/webhooks-methods';
import { BUNDLING } from '../lib/bundling.js';
import { SERVICE_FUNCTIONS, type FunctionName } from '../lib/service-routes.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { sequentialRoundTrips } from '../local/github-emulator/call-timing.js';
import { freePort } from '../local/ports.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const PROBOT = { bytes: 2.6 * 1024 * 1024, importMs: 450 };
const root = resolve(import.meta.dirname, '..');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

async function bundles() {
  const tracingCost: Array<[string, number]> = [];
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  console.log(
    '\n1-2. Bundles (esbuild, ESM, minified, AWS SDK bundled) and cold import time (median of 7 fresh processes)',
  );
  console.log('function             size      ×smaller than Probot   import ms   ×faster than Probot');
  for (const [name, spec] of Object.entries(SERVICE_FUNCTIONS) as [
    FunctionName,
    (typeof SERVICE_FUNCTIONS)['health'],
  ][]) {
    const outfile = join(dir, name, 'index.mjs');
    await build({
      entryPoints: [join(root, spec.entry)],
      outfile,
      bundle: true,
      platform: BUNDLING.platform,
      format: BUNDLING.format,
      target: BUNDLING.target,
      minify: BUNDLING.minify,
      mainFields: [...BUNDLING.mainFields],
      banner: { js: BUNDLING.banner },
      logLevel: 'silent',
    });
    const bytes = statSync(outfile).size;
    // Interleaved, so both sides see the same machine: tracing off, then on (a Lambda-like environment
    // in which Powertools Tracer and the X-Ray SDK start), seven fresh processes each.
    const lambdaEnv = {
      PATH: process.env.PATH,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_REGION: 'us-east-1',
    };
    const importMs = (tracing: boolean) =>
      Number(
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const t=performance.now();await import(${JSON.stringify(`file://${outfile}`)});console.log(performance.now()-t)`,
          ],
          { env: { ...lambdaEnv, POWERTOOLS_TRACE_ENABLED: String(tracing) }, encoding: 'utf8' },
        ).trim(),
      );
    const times: number[] = [];
    const traced: number[] = [];
    for (let i = 0; i < 7; i++) {
      times.push(importMs(false));
      traced.push(importMs(true));
    }
    tracingCost.push([name, median(traced) - median(times)]);
    const ms = median(times);
    console.log(
      `${name.padEnd(20)} ${`${(bytes / 1024).toFixed(0)} KB`.padStart(8)}   ${(PROBOT.bytes / bytes).toFixed(1).padStart(10)}×          ${ms.toFixed(0).padStart(6)}     ${(PROBOT.importMs / ms).toFixed(1).padStart(8)}×`,
    );
  }
  console.log(
    '\nCold-start cost of tracing (import ms with POWERTOOLS_TRACE_ENABLED=true minus false, medians):',
  );
  for (const [name, extra] of tracingCost)
    console.log(`${name.padEnd(20)} ${extra >= 0 ? '+' : ''}${extra.toFixed(1)} ms`);
}

async function service() {
  const dynamodb = await startDynamoDbLocal({ port: await freePort() });
  Object.assign(process.env, {
    TEST_DYNAMODB_ENDPOINT: dynamodb.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    // The metrics' EMF lines would bury the figures.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  // Loaded after the environment is set: the handlers read it once per "container".
  const { api, signIn, startService } = await import('../test/support/service.js');
  const fx = await startService();
  try {
    const appId = Number(fx.secrets.githubApp.appId);
    await fx.admin.createUser({ login: 'bench' });
    await fx.admin.createUser({ login: 'bench-org', type: 'Organization', admins: ['bench'] });
    const orgInstall = (await fx.admin.install({ appId, account: 'bench-org' })).installation.id;
    await fx.admin.install({ appId, account: 'bench' });

    await fx.admin.clearCalls();
    const session = await signIn(fx, 'bench');
    const signInCalls = (await fx.admin.calls()).length;
    const call = api(fx, session);
    const account = (
      (await (await call('/accounts', { method: 'POST', json: { name: 'Bench' } })).json()) as { id: string }
    ).id;

    await fx.admin.clearCalls();
    await call(`/accounts/${account}/installations/${orgInstall}`, { method: 'PUT' });
    const linkCalls = (await fx.admin.calls()).length;
    await fx.admin.clearCalls();
    await call(`/accounts/${account}/installations`);
    const listCalls = (await fx.admin.calls()).length;

    const files = [1, 2, 3].map((i) => ({ path: `file-${i}.txt`, content: `${i}\n` }));
    await fx.admin.clearCalls();
    await call(`/accounts/${account}/repositories`, {
      method: 'POST',
      json: { installationId: orgInstall, name: 'first', files },
    });
    const firstRepoCalls = (await fx.admin.calls()).length;
    await fx.admin.clearCalls();
    await call(`/accounts/${account}/repositories`, {
      method: 'POST',
      json: { installationId: orgInstall, name: 'second', files },
    });
    const secondRepoCalls = (await fx.admin.calls()).length;

    // #13: the repositories of a linked installation: list 1,000, read, commit.
    await fx.admin.createRepositories('bench-org', { count: 1000, prefix: 'bench' });
    await fx.admin.createRepositories('bench-org', {
      names: ['bench-app'],
      files: { 'package.json': '{"name":"bench-app"}\n', 'src/index.ts': 'export {};\n', 'old.txt': 'old\n' },
    });
    const repos = `/accounts/${account}/repositories`;
    await call(`${repos}?limit=100`); // token minted: what follows is the cached steady state
    await fx.admin.setLatency(20);
    await fx.admin.clearCalls();
    await call(`${repos}?limit=100`);
    const listRepoCalls = await fx.admin.calls();
    await fx.admin.setLatency(0);
    await call(`${repos}/bench-org/bench-app/tree`); // mints the narrowed read token
    await fx.admin.clearCalls();
    await call(`${repos}/bench-org/bench-app/tree`);
    const treeCalls = (await fx.admin.calls()).length;
    await fx.admin.clearCalls();
    await call(`${repos}/bench-org/bench-app/contents/package.json`);
    const fileCalls = (await fx.admin.calls()).length;
    const commitFiles = (branch: string, i: number) => ({
      branch,
      message: `Bench commit ${i}`,
      files: [
        { path: 'a.txt', content: `a ${i}\n`, encoding: 'utf-8' },
        { path: 'b.txt', content: `b ${i}\n`, encoding: 'utf-8' },
        { path: 'bin/c.bin', content: Buffer.from([0, 255, i % 256]).toString('base64'), encoding: 'base64' },
      ],
    });
    await call(`${repos}/bench-org/bench-app/commits`, { method: 'POST', json: commitFiles('main', 0) }); // mint
    await fx.admin.setLatency(20);
    await fx.admin.clearCalls();
    await call(`${repos}/bench-org/bench-app/commits`, {
      method: 'POST',
      json: { ...commitFiles('main', 1), deletions: ['old.txt'] },
    });
    const commitCalls = await fx.admin.calls();
    await fx.admin.clearCalls();
    await call(`${repos}/bench-org/bench-app/commits`, {
      method: 'POST',
      json: { ...commitFiles('bench/new', 2), baseBranch: 'main' },
    });
    const newBranchCalls = await fx.admin.calls();
    await fx.admin.setLatency(0);

    const webhook = async (payload: object) => {
      const body = JSON.stringify(payload);
      return fetch(`${fx.api.url}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'installation',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': await sign(fx.secrets.githubApp.webhookSecret, body),
        },
        body,
      });
    };
    const installation = (id: number, updatedAt: string) => ({
      id,
      account: { login: `org-${id}`, id, type: 'Organization' },
      app_slug: 'bench',
      target_type: 'Organization',
      repository_selection: 'all',
      permissions: { contents: 'write' },
      events: [],
      suspended_at: null,
      updated_at: updatedAt,
    });

    console.log(
      '\n3. Warm request latency through the local API server (DynamoDB Local; the emulator answers GitHub calls)',
    );
    console.log('request                                   n    p50 ms   p95 ms   p99 ms');
    const measure = async (label: string, n: number, run: (i: number) => Promise<Response>) => {
      for (let i = 0; i < 10; i++) await run(-1 - i); // warm-up
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const started = performance.now();
        const response = await run(i);
        await response.arrayBuffer();
        times.push(performance.now() - started);
        if (response.status >= 300) throw new Error(`${label} answered ${response.status}`);
      }
      times.sort((a, b) => a - b);
      console.log(
        `${label.padEnd(40)} ${String(n).padStart(4)} ${percentile(times, 50).toFixed(1).padStart(8)} ${percentile(times, 95).toFixed(1).padStart(8)} ${percentile(times, 99).toFixed(1).padStart(8)}`,
      );
    };
    await measure('GET  /accounts/{id}/installations', 200, () => call(`/accounts/${account}/installations`));
    await measure('PUT  /accounts/{id}/installations/{id}', 200, () =>
      call(`/accounts/${account}/installations/${orgInstall}`, { method: 'PUT' }),
    );
    await measure('POST /webhooks/github (installation)', 200, (i) =>
      webhook({
        action: 'created',
        installation: installation(90_000 + i + 100, '2026-01-01T00:00:00Z'),
        sender: { id: 1, login: 'x' },
      }),
    );
    await measure('GET  /me', 200, () => call('/me'));
    await measure('GET  /accounts/{id}/repositories (1,001)', 50, () => call(`${repos}?limit=100`));
    await measure('GET  …/repositories/{o}/{r}/tree', 200, () => call(`${repos}/bench-org/bench-app/tree`));
    await measure('GET  …/contents/package.json', 200, () =>
      call(`${repos}/bench-org/bench-app/contents/package.json`),
    );
    await measure('POST …/commits (3 files, 1 binary)', 100, (i) =>
      call(`${repos}/bench-org/bench-app/commits`, { method: 'POST', json: commitFiles('main', 10 + i) }),
    );

    // An uninstall fanned out to 500 linked accounts, in one delivery.
    const { InstallationStore } = await import('../functions/shared/store/installation-store.js');
    const { getServices } = await import('../functions/shared/services.js');
    const store = new InstallationStore(getServices().table);
    await webhook({
      action: 'created',
      installation: installation(77_777, '2026-01-01T00:00:00Z'),
      sender: { id: 1, login: 'x' },
    });
    const details = await store.getDetails(77_777);
    if (!details) throw new Error('installation 77777 was not stored');
    for (let i = 0; i < 500; i++) await store.linkWithDetails(details, `bench-${i}`, 1);
    const started = performance.now();
    const uninstall = await webhook({
      action: 'deleted',
      installation: installation(77_777, '2026-01-02T00:00:00Z'),
      sender: { id: 1, login: 'x' },
    });
    const uninstallMs = performance.now() - started;

    console.log('\n4. GitHub calls per operation (emulator call log)');
    console.log(`sign-in (browser authorize + code exchange + /user) ${signInCalls}`);
    console.log(`link an org installation (owner check + App read)     ${linkCalls}`);
    console.log(`list installations (2 reachable)                  ${listCalls}`);
    console.log(`create org repo + 3 files, token minted           ${firstRepoCalls}`);
    console.log(`create org repo + 3 files, token cached           ${secondRepoCalls}`);
    console.log(`webhook                                            0`);
    console.log(
      `list 1,001 repositories, token cached             ${listRepoCalls.length} in ${sequentialRoundTrips(listRepoCalls)} sequential round trips (minimum ${Math.ceil(1001 / 100)} in 2)`,
    );
    console.log(`read a tree (recursive) + its commit, token cached ${treeCalls} (minimum 2)`);
    console.log(`read a file, token cached                         ${fileCalls} (minimum 1)`);
    console.log(
      `commit 3 files (1 binary) + 1 deletion, branch     ${commitCalls.length} in ${sequentialRoundTrips(commitCalls)} round trips (minimum 5 in 4: head+tree, blob ∥, tree, commit, ref)`,
    );
    console.log(
      `commit to a new branch from baseBranch            ${newBranchCalls.length} in ${sequentialRoundTrips(newBranchCalls)} round trips`,
    );
    console.log(
      `\nUninstall unlinking 500 accounts: ${uninstall.status} in ${uninstallMs.toFixed(0)} ms (GitHub allows 10 s)`,
    );
  } finally {
    await fx.close();
    await dynamodb.stop();
  }
}

await bundles();
await service();
