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
  /** Until the attempt is made: GitHub lists a delivery once it has been attempted. */
  pending: boolean;
};

/** GitHub's `hook-delivery-item` (GET /app/hook/deliveries). */
export type HookDeliveryItem = {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  throttled_at: string | null;
};

const HOOK_ID = 424_242;
const TIMEOUT_MS = 10_000; // GitHub gives up on a delivery after 10 seconds

/**
 * Sends GitHub App webhooks the way GitHub does: JSON body, `X-GitHub-Event`, `X-GitHub-Delivery`,
 * `X-Hub-Signature-256` (and the legacy SHA-1 one) over the exact bytes sent, Hookshot user agent.
 * Every delivery and its answer is recorded; a delivery can be sent again with the same GUID.
 */
/** A delivery attempt before the App has answered it. */
const NOT_YET_ANSWERED = {
  statusCode: null,
  responseBody: null,
  error: null,
  durationMs: 0,
  attempts: 0,
  pending: true,
} as const;

export class Webhooks {
  readonly deliveries: Delivery[] = [];
  /** The next this many attempts are lost (POST /_emulator/webhooks/faults {"mode": "drop"}). */
  dropNext = 0;
  private nextId = 1;

  constructor(private readonly world: World) {}

  reset(): void {
    this.deliveries.length = 0;
    this.dropNext = 0;
  }

  /**
   * Delivers an event. `copies` > 1 posts the same delivery (same GUID) that many times at once, as
   * GitHub occasionally does: each copy is its own attempt in the log.
   */
  async send(
    app: EmulatedApp,
    event: string,
    payload: Record<string, unknown>,
    options: { copies?: number } = {},
  ): Promise<Delivery | undefined> {
    if (!app.webhookUrl || !app.webhookSecret) return undefined;
    const installation = payload.installation as { id?: number } | undefined;
    const guid = this.world.newDeliveryId();
    const copies = Array.from({ length: Math.max(1, options.copies ?? 1) }, (): Delivery => ({
      id: this.nextId++,
      guid,
      event,
      action: typeof payload.action === 'string' ? payload.action : undefined,
      installationId: installation?.id,
      appId: app.id,
      body: JSON.stringify(payload),
      deliveredAt: this.world.clock.iso(),
      redelivery: false,
      ...NOT_YET_ANSWERED,
    }));
    this.deliveries.push(...copies);
    await Promise.all(copies.map((delivery) => this.post(app, delivery)));
    return copies[0];
  }

  /** Sends the latest delivery with this GUID again (the App's "Redeliver" button). */
  async redeliver(guid: string): Promise<Delivery | undefined> {
    const original = [...this.deliveries].reverse().find((delivery) => delivery.guid === guid);
    return original ? this.redeliverAttempt(original) : undefined;
  }

  /** `POST /app/hook/deliveries/{delivery_id}/attempts`: a new attempt of that delivery, same GUID. */
  async redeliverAttempt(original: Delivery): Promise<Delivery | undefined> {
    const app = this.world.apps.get(original.appId);
    if (!app) return undefined;
    const again: Delivery = {
      ...original,
      id: this.nextId++,
      redelivery: true,
      deliveredAt: this.world.clock.iso(),
      ...NOT_YET_ANSWERED,
    };
    this.deliveries.push(again);
    await this.post(app, again);
    return again;
  }

  /** An App's attempts, newest first, as GitHub lists them (only those already attempted). */
  attemptsOf(appId: number): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.appId === appId && !delivery.pending).reverse();
  }

  private async post(app: EmulatedApp, delivery: Delivery): Promise<void> {
    if (!app.webhookUrl || !app.webhookSecret) {
      delivery.pending = false;
      delivery.error = 'failed to connect';
      return;
    }
    const started = performance.now();
    delivery.attempts++;
    if (this.dropNext > 0) {
      // Lost on the way: the App never sees it, and GitHub records an attempt nobody answered.
      this.dropNext--;
      delivery.error = 'timed out';
      delivery.durationMs = TIMEOUT_MS;
      delivery.pending = false;
      return;
    }
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
      delivery.pending = false;
    }
  }

  /**
   * GitHub's view of one attempt: `status` is "OK" for a 2xx, else what went wrong ("Invalid HTTP
   * Response: 503", "timed out", …); `status_code` is 0 when no answer came.
   */
  static item(delivery: Delivery): HookDeliveryItem {
    const code = delivery.statusCode ?? 0;
    return {
      id: delivery.id,
      guid: delivery.guid,
      delivered_at: delivery.deliveredAt,
      redelivery: delivery.redelivery,
      duration: delivery.durationMs / 1000,
      status: delivery.error ?? (code >= 200 && code < 300 ? 'OK' : `Invalid HTTP Response: ${code}`),
      status_code: code,
      event: delivery.event,
      action: delivery.action ?? null,
      installation_id: delivery.installationId ?? null,
      repository_id: null,
      throttled_at: null,
    };
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
