import { createHmac } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import type { EmulatedApp, World } from './world.js';

export type Delivery = {
  id: number;
  guid: string;
  event: string;
  action: string | undefined;
  installationId: number | undefined;
  appId: number;
  body: string;
  deliveredAt: string;
  redelivery: boolean;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number;
  attempts: number;
};

const HOOK_ID = 424_242;
const TIMEOUT_MS = 10_000; // GitHub gives up on a delivery after 10 seconds

/**
 * Sends GitHub App webhooks the way GitHub does: JSON body, `X-GitHub-Event`, `X-GitHub-Delivery`,
 * `X-Hub-Signature-256` (and the legacy SHA-1 one) over the exact bytes sent, Hookshot user agent.
 * Every delivery and its answer is recorded; a delivery can be sent again with the same GUID.
 */
export class Webhooks {
  readonly deliveries: Delivery[] = [];
  private nextId = 1;

  constructor(private readonly world: World) {}

  reset(): void {
    this.deliveries.length = 0;
  }

  async send(
    app: EmulatedApp,
    event: string,
    payload: Record<string, unknown>,
  ): Promise<Delivery | undefined> {
    if (!app.webhookUrl || !app.webhookSecret) return undefined;
    const installation = payload.installation as { id?: number } | undefined;
    const delivery: Delivery = {
      id: this.nextId++,
      guid: this.world.newDeliveryId(),
      event,
      action: typeof payload.action === 'string' ? payload.action : undefined,
      installationId: installation?.id,
      appId: app.id,
      body: JSON.stringify(payload),
      deliveredAt: this.world.clock.iso(),
      redelivery: false,
      statusCode: null,
      responseBody: null,
      error: null,
      durationMs: 0,
      attempts: 0,
    };
    this.deliveries.push(delivery);
    await this.post(app, delivery);
    return delivery;
  }

  async redeliver(guid: string): Promise<Delivery | undefined> {
    const original = [...this.deliveries].reverse().find((delivery) => delivery.guid === guid);
    if (!original) return undefined;
    const app = this.world.apps.get(original.appId);
    if (!app) return undefined;
    const again: Delivery = {
      ...original,
      id: this.nextId++,
      redelivery: true,
      deliveredAt: this.world.clock.iso(),
    };
    this.deliveries.push(again);
    await this.post(app, again);
    return again;
  }

  private async post(app: EmulatedApp, delivery: Delivery): Promise<void> {
    if (!app.webhookUrl || !app.webhookSecret) return;
    const started = performance.now();
    delivery.attempts++;
    try {
      const response = await fetch(app.webhookUrl, {
        method: 'POST',
        headers: {
          Accept: '*/*',
          'Content-Type': 'application/json',
          'User-Agent': 'GitHub-Hookshot/emulator',
          'X-GitHub-Event': delivery.event,
          'X-GitHub-Delivery': delivery.guid,
          'X-GitHub-Hook-ID': String(HOOK_ID),
          'X-GitHub-Hook-Installation-Target-Type': 'integration',
          'X-GitHub-Hook-Installation-Target-ID': String(app.id),
          'X-Hub-Signature': `sha1=${createHmac('sha1', app.webhookSecret).update(delivery.body).digest('hex')}`,
          'X-Hub-Signature-256': await sign(app.webhookSecret, delivery.body),
        },
        body: delivery.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      delivery.statusCode = response.status;
      delivery.responseBody = (await response.text()).slice(0, 10_000);
    } catch (error) {
      delivery.error = (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
    } finally {
      delivery.durationMs = Math.round(performance.now() - started);
    }
  }

  /** A delivery's public view (no body), as the App's "Recent deliveries" page shows it. */
  static summary(delivery: Delivery) {
    return {
      id: delivery.id,
      guid: delivery.guid,
      event: delivery.event,
      action: delivery.action ?? null,
      installation_id: delivery.installationId ?? null,
      delivered_at: delivery.deliveredAt,
      redelivery: delivery.redelivery,
      status_code: delivery.statusCode,
      status: delivery.error ?? (delivery.statusCode !== null && delivery.statusCode < 300 ? 'OK' : 'failed'),
      duration_ms: delivery.durationMs,
      response_body: delivery.responseBody,
      payload: JSON.parse(delivery.body) as unknown,
    };
  }
}
