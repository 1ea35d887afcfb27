import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../local/github-emulator/server.js';

export type ReceivedHook = { headers: IncomingHttpHeaders; body: string };

/** A stand-in for the App's webhook endpoint and OAuth callback: records what GitHub sends it. */
export async function startReceiver(
  status = 200,
): Promise<{ url: string; hooks: ReceivedHook[]; server: Server; setStatus(s: number): void }> {
  const hooks: ReceivedHook[] = [];
  let answer = status;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST')
        hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(req.method === 'POST' ? answer : 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hooks,
    server,
    setStatus: (s: number) => (answer = s),
  };
}

export function generateAppKeys() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

export type EmulatorFixture = {
  emulator: GitHubEmulator;
  admin: EmulatorAdmin;
  app: {
    id: number;
    slug: string;
    clientId: string;
    clientSecret: string;
    privateKey: string;
    webhookSecret: string;
  };
  receiver: Awaited<ReturnType<typeof startReceiver>>;
  close(): Promise<void>;
};

/** An emulator with one App (webhooks and callback pointing at a recording receiver). */
export async function startEmulatorFixture(
  options: { expiringUserTokens?: boolean } = {},
): Promise<EmulatorFixture> {
  const emulator = await startGitHubEmulator({ recordBodies: true });
  const admin = new EmulatorAdmin(emulator.url);
  const receiver = await startReceiver();
  const keys = generateAppKeys();
  const webhookSecret = 'test-webhook-secret';
  await admin.createUser({ login: 'platform-owner', type: 'Organization' });
  const app = await admin.registerApp({
    slug: 'platform-app',
    publicKey: keys.publicKey,
    webhookUrl: `${receiver.url}/webhooks/github`,
    webhookSecret,
    callbackUrls: [`${receiver.url}/auth/callback`],
    ...(options.expiringUserTokens === undefined ? {} : { expiringUserTokens: options.expiringUserTokens }),
  });
  return {
    emulator,
    admin,
    app: { ...app, privateKey: keys.privateKey, webhookSecret },
    receiver,
    close: async () => {
      await emulator.close();
      receiver.server.closeAllConnections();
      await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
    },
  };
}

/** Runs the browser part of the OAuth web flow as `login` and returns the redirect's query. */
export async function authorizeAs(
  emulatorUrl: string,
  params: Record<string, string>,
): Promise<URLSearchParams> {
  const url = new URL('/login/oauth/authorize', emulatorUrl);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) throw new Error(`authorize answered ${response.status}`);
  return new URL(location).searchParams;
}
