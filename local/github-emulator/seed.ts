import { EmulatorAdmin } from './admin-client.js';

export type DemoApp = {
  appId: string;
  slug: string;
  clientId: string;
  clientSecret: string;
  publicKey: string;
  webhookSecret: string;
  /** Where GitHub sends the user back: the service's OAuth callback (also its setup URL). */
  callbackUrl: string;
  webhookUrl: string;
};

export const DEMO_WORLD = {
  user: 'octo-demo',
  teammate: 'octo-teammate',
  org: 'octo-org',
  orgWithoutApp: 'octo-no-app',
} as const;

/**
 * The world `npm start` shows: `octo-demo` with the App on their personal account, `octo-org`
 * (owner octo-demo, member octo-teammate) with the App installed, and `octo-no-app` without it.
 */
export async function seedDemoWorld(emulatorUrl: string, app: DemoApp): Promise<{ installations: number[] }> {
  const admin = new EmulatorAdmin(emulatorUrl);
  await admin.createUser({ login: DEMO_WORLD.user, name: 'Octo Demo' });
  await admin.createUser({ login: DEMO_WORLD.teammate, name: 'Octo Teammate' });
  await admin.createUser({
    login: DEMO_WORLD.org,
    type: 'Organization',
    // octo-demo owns octo-org (may link its installation); octo-teammate is a plain member.
    admins: [DEMO_WORLD.user],
    members: [DEMO_WORLD.teammate],
  });
  await admin.createUser({
    login: DEMO_WORLD.orgWithoutApp,
    type: 'Organization',
    admins: [DEMO_WORLD.user],
  });
  const registered = await admin.registerApp({
    id: Number(app.appId),
    slug: app.slug,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    publicKey: app.publicKey,
    webhookUrl: app.webhookUrl,
    webhookSecret: app.webhookSecret,
    callbackUrls: [app.callbackUrl],
    setupUrl: app.callbackUrl,
  });
  const personal = await admin.install({ appId: registered.id, account: DEMO_WORLD.user });
  const org = await admin.install({ appId: registered.id, account: DEMO_WORLD.org });
  return { installations: [personal.installation.id, org.installation.id] };
}
