import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import { startService, type ServiceFixture } from '../support/service.js';

let fx: ServiceFixture;
beforeAll(async () => {
  fx = await startService({ dynamoFaults: true });
});
afterAll(() => fx.close());
afterEach(() => {
  fx.dynamo?.clear();
  jest.restoreAllMocks();
});

/** Moves the service's clock (Date.now) forward, as time passing would: leases lapse. */
let offsetMs = 0;
function advanceClock(seconds: number): void {
  offsetMs += seconds * 1000;
  const realNow = Date.now.bind(Date);
  jest.restoreAllMocks();
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
}

const installationPayload = (id: number, action: string) => ({
  action,
  installation: {
    id,
    account: { login: `org-${id}`, id: id + 1_000_000, type: 'Organization', avatar_url: 'https://a.test/x' },
    app_slug: 'platform-app',
    target_type: 'Organization',
    repository_selection: 'all',
    permissions: { metadata: 'read' },
    events: [],
    suspended_at: null,
    updated_at: '2026-01-01T00:00:00Z',
  },
  sender: { login: 'octo', id: 1 },
});

async function post(event: string, payload: unknown, deliveryId: string) {
  const body = JSON.stringify(payload);
  const response = await fetch(`${fx.api.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': await sign(fx.secrets.githubApp.webhookSecret, body),
    },
    body,
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const deliveryItem = (deliveryId: string) =>
  fx.table.table.get({ PK: `DELIVERY#${deliveryId}`, SK: 'DELIVERY' });
const installationItem = (id: number) => fx.table.table.get({ PK: `INSTALLATION#${id}`, SK: 'META' });

/** Every write of the delivery's "failed" mark fails, whatever the SDK retries. */
const failMarkingFailed = () =>
  fx.dynamo?.inject({
    operations: ['UpdateItem'],
    mode: 'fail',
    count: Infinity,
    match: (body) => String(body.UpdateExpression).includes('failure'),
  });

describe('a delivery still processing', () => {
  it('answers a redelivery non-2xx with Retry-After, so GitHub records it failed; after the lease it is applied', async () => {
    const deliveryId = randomUUID();
    fx.dynamo?.inject({ operations: ['TransactWriteItems'], mode: 'fail', count: Infinity });
    failMarkingFailed();
    const first = await post('installation', installationPayload(11, 'created'), deliveryId);
    expect(first.status).toBe(500);
    fx.dynamo?.clear();
    expect((await deliveryItem(deliveryId))?.status).toBe('processing');

    const again = await post('installation', installationPayload(11, 'created'), deliveryId);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('delivery_in_progress');
    expect(Number(again.retryAfter)).toBeGreaterThan(0);
    expect(Number(again.retryAfter)).toBeLessThanOrEqual(30);
    expect(await installationItem(11)).toBeUndefined();

    advanceClock(31);
    const later = await post('installation', installationPayload(11, 'created'), deliveryId);
    expect(later).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect(await installationItem(11)).toBeDefined();
  });
});
