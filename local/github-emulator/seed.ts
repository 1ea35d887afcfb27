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
  await seedRepositories(admin);
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
    // As the App registration asks (README "Register the GitHub App", scripts/register-app.ts).
    events: ['repository'],
  });
  const personal = await admin.install({ appId: registered.id, account: DEMO_WORLD.user });
  const org = await admin.install({ appId: registered.id, account: DEMO_WORLD.org });
  return { installations: [personal.installation.id, org.installation.id] };
}

/** How many generated repositories octo-org has besides its real ones: enough for the list to page. */
export const DEMO_GENERATED_REPOSITORIES = 300;

/** A 1×1 transparent PNG: the binary file of the demo project. */
const PIXEL_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/**
 * octo-org's repositories, made before the App is installed (as on github.com, they exist already, so
 * no `repository` events): `web-app`, a small project with real content to import, and
 * DEMO_GENERATED_REPOSITORIES more (`service-0001` …) so the list is real.
 */
async function seedRepositories(admin: EmulatorAdmin): Promise<void> {
  await admin.createRepositories(DEMO_WORLD.org, {
    names: ['web-app'],
    description: 'The demo web app',
    files: {
      'README.md': '# web-app\n\nThe demo project: import it, change it, commit it back.\n',
      'package.json': `${JSON.stringify(
        {
          name: 'web-app',
          version: '1.0.0',
          type: 'module',
          scripts: { start: 'node dist/index.js', build: 'tsc' },
          devDependencies: { typescript: '^5.9.0' },
        },
        null,
        2,
      )}\n`,
      'src/index.ts':
        "export const greet = (name: string): string => `Hello, ${name}!`;\n\nconsole.log(greet('world'));\n",
      'public/pixel.png': { base64: PIXEL_PNG },
    },
  });
  await admin.createRepositories(DEMO_WORLD.org, {
    count: DEMO_GENERATED_REPOSITORIES,
    prefix: 'service',
  });
}
