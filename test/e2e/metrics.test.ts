import { randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { sign } from '@octokit/webhooks-methods';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/shared/metrics.js';
import { getServices } from '../../functions/shared/services.js';
import { captureOutput } from '../support/capture-output.js';
import { installationPayload } from '../support/events.js';
import { api, signIn, startService, type ServiceFixture } from '../support/service.js';

/**
 * The failures the alarms watch (lib/observability.ts) emit the very metric each alarm reads, with the
 * same dimensions, as EMF lines on stdout: read back from what the handlers wrote.
 */
let fx: ServiceFixture;
const output = captureOutput();

beforeAll(async () => {
  fx = await startService();
  for (const login of ['ada', 'org-owner']) await fx.admin.createUser({ login });
  await fx.admin.createUser({ login: 'metrics-org', type: 'Organization', admins: ['org-owner'] });
});
afterAll(async () => {
  output.restore();
  await fx?.close();
});
afterEach(() => fx.admin.call('DELETE', '/faults'));

type Emf = {
  _aws: {
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
  };
} & Record<string, unknown>;

/** Every EMF record written since `mark` (an offset into the captured output). */
function emfSince(mark: number): Emf[] {
  return output
    .text()
    .slice(mark)
    .split('\n')
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
}

/** The sum of `name` over records whose dimensions are exactly `dimensions` (beside `service`). */
function total(records: Emf[], name: string, dimensions: Record<string, string> = {}): number {
  const wanted = ['service', ...Object.keys(dimensions)].sort().join(',');
  let sum = 0;
  for (const record of records) {
    const [directive] = record._aws.CloudWatchMetrics;
    if (directive?.Namespace !== METRICS_NAMESPACE) continue;
    if (!directive.Metrics.some((metric) => metric.Name === name)) continue;
    if (!directive.Dimensions.some((set) => [...set].sort().join(',') === wanted)) continue;
    if (record.service !== SERVICE_NAME) continue;
    if (Object.entries(dimensions).some(([key, value]) => record[key] !== value)) continue;
    const value = record[name];
    sum += Array.isArray(value) ? value.reduce((a: number, b: number) => a + b, 0) : Number(value);
  }
  return sum;
}

it('a failing token refresh emits TokenRefreshFailures (total and by reason)', async () => {
  const call = api(fx, await signIn(fx, 'ada'));
  const created = await call('/accounts', { method: 'POST', json: { name: 'Metrics' } });
  const { id } = (await created.json()) as { id: string };
  await fx.admin.advanceClock(8 * 3600 + 60);
  await fx.admin.fault({ route: '/login/oauth/access_token', status: 502, body: { message: 'Bad gateway' } });
  const mark = output.text().length;
  const response = await call(`/accounts/${id}/installations`);
  expect(response.status).toBe(503);
  const records = emfSince(mark);
  expect(total(records, METRIC.tokenRefreshFailures)).toBe(1);
  expect(total(records, METRIC.tokenRefreshFailures, { reason: 'github_error' })).toBe(1);
  expect(total(records, METRIC.tokenRefreshes)).toBe(0);
  expect(total(records, METRIC.githubAnswers, { statusClass: '5xx' })).toBe(1);
});

it('a webhook delivery that fails emits WebhookDeliveries outcome=failed; a bad signature does not', async () => {
  const client = getServices().table.client;
  const send = client.send.bind(client);
  let failures = 1;
  client.send = ((command: unknown) => {
    if (command instanceof TransactWriteCommand && failures-- > 0)
      return Promise.reject(new Error('injected DynamoDB fault'));
    return send(command as never);
  }) as typeof client.send;
  const body = JSON.stringify(installationPayload(777, 'created'));
  const deliver = async (signature: string) =>
    (
      await fetch(`${fx.api.url}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'installation',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body,
      })
    ).status;
  const mark = output.text().length;
  try {
    expect(await deliver(await sign(fx.secrets.githubApp.webhookSecret, body))).toBe(500);
    expect(await deliver(await sign('not-the-secret', body))).toBe(401);
  } finally {
    client.send = send;
  }
  const records = emfSince(mark);
  expect(total(records, METRIC.webhookDeliveries, { outcome: 'failed' })).toBe(1);
  expect(total(records, METRIC.webhookInvalidSignatures)).toBe(1);
  expect(total(records, METRIC.webhookDeliveries, { outcome: 'applied' })).toBe(0);
});

it('GitHub answering 429 emits GitHubRateLimited and the 4xx status class', async () => {
  const appId = Number(fx.secrets.githubApp.appId);
  const installation = (await fx.admin.install({ appId, account: 'metrics-org' })).installation.id;
  const owner = api(fx, await signIn(fx, 'org-owner'));
  const created = await owner('/accounts', { method: 'POST', json: { name: 'Limited' } });
  const { id } = (await created.json()) as { id: string };
  expect((await owner(`/accounts/${id}/installations/${installation}`, { method: 'PUT' })).status).toBe(201);
  await fx.admin.fault({
    route: '/orgs/{org}/repos',
    status: 429,
    headers: { 'retry-after': '7' },
    body: {},
  });
  const mark = output.text().length;
  const response = await owner(`/accounts/${id}/repositories`, {
    method: 'POST',
    json: { installationId: installation, name: 'limited', private: true, files: [] },
  });
  expect(response.status).toBe(503);
  const records = emfSince(mark);
  expect(total(records, METRIC.githubRateLimited)).toBe(1);
  expect(total(records, METRIC.githubAnswers, { statusClass: '4xx' })).toBe(1);
  expect(total(records, METRIC.repositoriesCreated)).toBe(0);
});

it('a commit emits Commits; a commit refused because the head moved emits CommitsHeadMoved', async () => {
  await fx.admin.createUser({ login: 'committer' });
  await fx.admin.createUser({ login: 'commit-org', type: 'Organization', admins: ['committer'] });
  await fx.admin.createRepositories('commit-org', { names: ['project'] });
  const appId = Number(fx.secrets.githubApp.appId);
  const installation = (await fx.admin.install({ appId, account: 'commit-org' })).installation.id;
  const call = api(fx, await signIn(fx, 'committer'));
  const { id } = (await (await call('/accounts', { method: 'POST', json: { name: 'Commits' } })).json()) as {
    id: string;
  };
  expect((await call(`/accounts/${id}/installations/${installation}`, { method: 'PUT' })).status).toBe(201);
  const commit = (message: string, expectedHeadSha?: string) =>
    call(`/accounts/${id}/repositories/commit-org/project/commits`, {
      method: 'POST',
      json: {
        branch: 'main',
        message,
        ...(expectedHeadSha ? { expectedHeadSha } : {}),
        files: [{ path: `${message}.txt`, content: message, encoding: 'utf-8' }],
      },
    });
  const mark = output.text().length;
  expect((await commit('one')).status).toBe(201);
  expect((await commit('two', '0'.repeat(40))).status).toBe(409);
  const records = emfSince(mark);
  expect(total(records, METRIC.commits)).toBe(1);
  expect(total(records, METRIC.commitsHeadMoved)).toBe(1);
});
