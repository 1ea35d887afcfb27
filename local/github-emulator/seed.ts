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
  template: 'project-template',
} as const;

/** The files of `octo-org/project-template`. */
export const PROJECT_TEMPLATE_FILES: Record<string, string> = {
  'README.md': '# Project template\n\nA small TypeScript project to start from.\n',
  'package.json': `${JSON.stringify(
    {
      name: 'project-template',
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: { build: 'tsc', test: 'node --test' },
      devDependencies: { typescript: '^5.6.0' },
    },
    null,
    2,
  )}\n`,
  'src/index.ts': 'export function hello(name: string): string {\n  return `Hello, ${name}!`;\n}\n',
  '.github/workflows/ci.yml': [
    'name: CI',
    'on: [push, pull_request]',
    'jobs:',
    '  build:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with:',
    '          node-version: 22',
    '      - run: npm install',
    '      - run: npm run build',
    '',
  ].join('\n'),
};

/**
 * The template repository `<owner>/project-template` to create projects from
 * (POST /accounts/{accountId}/repositories with `template`); tests seed the same one.
 */
export async function seedProjectTemplate(admin: EmulatorAdmin, owner: string) {
  return admin.createRepositories(owner, {
    names: [DEMO_WORLD.template],
    isTemplate: true,
    description: 'A starting point for new projects',
    files: PROJECT_TEMPLATE_FILES,
  });
}

/**
 * The world `npm start` shows: `octo-demo` with the App on their personal account, `octo-org`
 * (owner octo-demo, member octo-teammate) with the App installed and the template repository
 * `octo-org/project-template`, and `octo-no-app` without the App.
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
    // GitHub's default for a new organisation: members read; octo-teammate cannot push on GitHub.
    basePermission: 'read',
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
    // As the App registration asks (docs/deploy.md "4. Register the GitHub App", scripts/register-app.ts).
    events: ['repository', 'push'],
  });
  await seedProjectTemplate(admin, DEMO_WORLD.org);
  const personal = await admin.install({ appId: registered.id, account: DEMO_WORLD.user });
  const org = await admin.install({ appId: registered.id, account: DEMO_WORLD.org });
  return { installations: [personal.installation.id, org.installation.id] };
}

/** How many generated repositories octo-org has besides its real ones: enough for the list to page. */
export const DEMO_GENERATED_REPOSITORIES = 1000;

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
