import { notFound } from '../../errors.js';
import { json, type Route } from '../../http.js';
import { Webhooks } from '../../webhooks.js';
import { admin } from './shared.js';

/** The control API (docs/github-emulator.md): the webhook deliveries sent, and redelivering one. */
export const deliveryRoutes: Route[] = [
  admin('GET', '/deliveries', (_request, context) =>
    json(200, { deliveries: context.webhooks.deliveries.map((delivery) => Webhooks.summary(delivery)) }),
  ),
  admin('POST', '/deliveries/{deliveryId}/redeliver', async (request, context) => {
    const delivery = await context.webhooks.redeliver(request.params.deliveryId ?? '');
    if (!delivery) throw notFound();
    return json(200, Webhooks.summary(delivery));
  }),
];
