import { request } from 'node:http';
import { createAppAuth } from '@octokit/auth-app';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../local/github-emulator/server.js';
import { startRegistration, type StackOutputs } from '../../scripts/register-app.js';

/** `npm run register-app` against the emulator, which implements GitHub's manifest conversion. */
const outputs: StackOutputs = {
  OAuthCallbackUrl: 'https://api.example.com/auth/callback',
  WebhookUrl: 'https://api.example.com/webhooks/github',
  GitHubAppSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:GitHubAppSecret-AbCdEf',
  WebhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:WebhookSecret-GhIjKl',
};

let emulator: GitHubEmulator;
beforeAll(async () => {
  emulator = await startGitHubEmulator();
  await new EmulatorAdmin(emulator.url).createUser({ login: 'octo-owner' });
});
afterAll(() => emulator?.close());

const unescape = (value: string) =>
  value.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));

/** `npm run register-app`'s server for an App named `name`; what it stores goes to `written`. */
const startFor = (name: string, written: unknown[] = []) =>
  startRegistration({
    name,
    homepage: 'https://app.example.com',
    outputs,
    githubUrl: emulator.url,
    githubApiUrl: emulator.url,
    writeSecrets: (secrets) => {
      written.push(secrets);
      return Promise.resolve();
    },
  });

/** The start page's form: GitHub's URL (as octo-owner) and the manifest it posts. */
async function startPage(url: string) {
  const start = await (await fetch(url)).text();
  const action = new URL(unescape(/action="([^"]+)"/.exec(start)?.[1] ?? ''));
  const manifest = unescape(/name="manifest" value="([^"]+)"/.exec(start)?.[1] ?? '');
  action.searchParams.set('login', 'octo-owner');
  return { action, manifest };
}

/** What a browser does: open the start page, submit its form to GitHub, follow GitHub's redirect back. */
async function register(written: unknown[], tamperState = false) {
  const registration = await startFor('My Platform', written);
  try {
    const { action, manifest } = await startPage(registration.url);
    const github = await fetch(action, {
      method: 'POST',
      body: new URLSearchParams({ manifest }),
      redirect: 'manual',
    });
    expect(github.status).toBe(302);
    const back = new URL(github.headers.get('location') ?? '');
    if (tamperState) back.searchParams.set('state', 'x'.repeat(32));
    const landed = await fetch(back);
    const result = tamperState ? undefined : await registration.done;
    return { manifest: JSON.parse(manifest) as Record<string, unknown>, back, landed, result };
  } finally {
    await registration.close();
  }
}

describe('npm run register-app (GitHub App manifest flow)', () => {
  it('creates the App as the README registers it and stores working credentials', async () => {
    const written: Array<{ app: Record<string, string>; webhook: { webhookSecret: string } }> = [];
    const { manifest, landed, result } = await register(written);
    expect(manifest).toMatchObject({
      url: 'https://app.example.com',
      callback_urls: [outputs.OAuthCallbackUrl],
      request_oauth_on_install: true,
      hook_attributes: { url: outputs.WebhookUrl, active: true },
    });
    expect(landed.status).toBe(200);
    expect(written).toHaveLength(1);
    const [{ app, webhook }] = written as [(typeof written)[number]];
    expect(result).toEqual({ appId: app.appId, slug: 'my-platform' });
    expect(Object.keys(app).sort()).toEqual(['appId', 'clientId', 'clientSecret', 'privateKey', 'slug']);
    expect(webhook.webhookSecret).toMatch(/^[0-9a-f]{40}$/);

    const registered = emulator.world.appBySlug('my-platform');
    expect(registered).toMatchObject({
      id: Number(app.appId),
      clientId: app.clientId,
      callbackUrls: [outputs.OAuthCallbackUrl],
      webhookUrl: outputs.WebhookUrl,
      webhookSecret: webhook.webhookSecret,
      requestOAuthOnInstall: true,
    });
    // The stored private key is the App's: GitHub accepts a JWT signed with it.
    const { token } = await createAppAuth({ appId: app.appId ?? '', privateKey: app.privateKey ?? '' })({
      type: 'app',
    });
    const me = await fetch(`${emulator.url}/app`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { slug: string }).slug).toBe('my-platform');
  });

  it('a conversion code works once', async () => {
    const { back } = await register([]);
    const again = await fetch(`${emulator.url}/app-manifests/${back.searchParams.get('code')}/conversions`, {
      method: 'POST',
    });
    expect(again.status).toBe(404);
  });

  it('an answer with the wrong state stores nothing', async () => {
    const written: unknown[] = [];
    const { landed } = await register(written, true);
    expect(landed.status).toBe(400);
    expect(written).toEqual([]);
  });

  it('answers only to its own host names: a rebound DNS name sees nothing of the flow', async () => {
    const registration = await startFor('Rebound');
    try {
      const { port } = new URL(registration.url);
      const get = (host: string, path = '/') =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      for (const host of [
        `attacker.example:${port}`,
        'attacker.example',
        `localhost.attacker.example:${port}`,
        `127.0.0.1:1`,
      ]) {
        const answer = await get(host);
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(answer.body).not.toMatch(/state=|manifest/);
        expect((await get(host, '/done?code=x&state=y')).status).toBeGreaterThanOrEqual(400);
      }
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
        const answer = await get(host);
        expect(answer.status).toBe(200);
        expect(answer.body).toContain('state=');
      }
    } finally {
      await registration.close();
    }
  });

  it('takes one completion per run: a second code with the same state stores nothing', async () => {
    const written: unknown[] = [];
    const registration = await startFor('Once Only', written);
    try {
      const { action, manifest } = await startPage(registration.url);
      // Two manifests posted with the run's state (the second as an attacker who learnt it would).
      const backs: URL[] = [];
      for (const name of ['Once Only', 'Attacker App']) {
        const github = await fetch(action, {
          method: 'POST',
          body: new URLSearchParams({ manifest: JSON.stringify({ ...JSON.parse(manifest), name }) }),
          redirect: 'manual',
        });
        backs.push(new URL(github.headers.get('location') ?? ''));
      }
      const [first, second] = backs as [URL, URL];
      expect((await fetch(first)).status).toBe(200);
      await registration.done;
      const replay = await fetch(second);
      expect(replay.status).toBeGreaterThanOrEqual(400);
      expect(replay.status).toBeLessThan(500);
      expect(written).toHaveLength(1);
    } finally {
      await registration.close();
    }
  });
});
