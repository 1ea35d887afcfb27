/**
 * `npm run register-app`: registers the GitHub App from a manifest (docs/deploy.md "4. Register the GitHub App"),
 * instead of filling GitHub's form by hand, and stores its credentials in the stack's secrets.
 *   npm run register-app -- --homepage https://app.example.com [--name my-platform] [--org my-org]
 *     [--stack GitHubAppAccounts] [--port 3001] [--github-url https://github.com] [--github-api-url https://api.github.com]
 * It reads the stack's outputs (AWS CLI), serves a page on localhost that posts the manifest to GitHub,
 * and, when GitHub sends the browser back with a code, converts it (POST /app-manifests/{code}/conversions)
 * and writes the App's credentials into GitHubAppSecret and GitHub's webhook secret into WebhookSecret.
 * Never prints a credential.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export type StackOutputs = {
  OAuthCallbackUrl: string;
  WebhookUrl: string;
  GitHubAppSecretArn: string;
  WebhookSecretArn: string;
};

/** The App the service needs, as a manifest: the same settings as the README's by-hand registration. */
export function appManifest(options: {
  name: string;
  homepage: string;
  outputs: StackOutputs;
  redirectUrl: string;
}): Record<string, unknown> {
  return {
    name: options.name,
    url: options.homepage,
    redirect_url: options.redirectUrl,
    callback_urls: [options.outputs.OAuthCallbackUrl],
    // "Request user authorization (OAuth) during installation": GitHub then greys out the Setup URL.
    request_oauth_on_install: true,
    public: true,
    hook_attributes: { url: options.outputs.WebhookUrl, active: true },
    default_permissions: { administration: 'write', contents: 'write', metadata: 'read', members: 'read' },
    default_events: ['repository', 'push'],
  };
}

export type Conversion = {
  id: number;
  slug: string;
  client_id: string;
  client_secret: string;
  pem: string;
  webhook_secret: string | null;
};

/** What goes into the two secrets (docs/deploy.md "Secrets"). */
export function secretsFromConversion(conversion: Conversion) {
  if (!conversion.webhook_secret)
    throw new Error('GitHub returned no webhook secret (is the webhook active?)');
  return {
    app: {
      appId: String(conversion.id),
      slug: conversion.slug,
      clientId: conversion.client_id,
      clientSecret: conversion.client_secret,
      privateKey: conversion.pem,
    },
    webhook: { webhookSecret: conversion.webhook_secret },
  };
}

export async function convertManifestCode(githubApiUrl: string, code: string): Promise<Conversion> {
  const response = await fetch(`${githubApiUrl}/app-manifests/${encodeURIComponent(code)}/conversions`, {
    method: 'POST',
    headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
  });
  if (response.status !== 201) throw new Error(`GitHub answered the conversion with ${response.status}`);
  return (await response.json()) as Conversion;
}

/** The Host headers a browser on this machine sends for this server. */
const ownHosts = (port: number) => new Set([`localhost:${port}`, `127.0.0.1:${port}`]);

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Serves the start page (a form that posts the manifest to GitHub) and the page GitHub comes back to.
 * `done` settles once a code with the right state was converted and the secrets written.
 */
export async function startRegistration(options: {
  name: string;
  homepage: string;
  outputs: StackOutputs;
  githubUrl: string;
  githubApiUrl: string;
  org?: string;
  port?: number;
  writeSecrets: (secrets: ReturnType<typeof secretsFromConversion>) => Promise<void>;
}): Promise<{ url: string; done: Promise<{ appId: string; slug: string }>; close: () => Promise<void> }> {
  const state = randomBytes(16).toString('hex');
  let settle!: { resolve: (v: { appId: string; slug: string }) => void; reject: (e: unknown) => void };
  const done = new Promise<{ appId: string; slug: string }>(
    (resolve, reject) => (settle = { resolve, reject }),
  );
  // One completion per run: the first answer with the right state ends the flow, whatever follows.
  let completed = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`<!doctype html><meta charset="utf-8"><title>Register the GitHub App</title>${body}`);
    };
    // DNS rebinding: a page of another site whose name resolves to 127.0.0.1 reaches this server with
    // its own Host. Only this machine's names for this very port are served.
    const { port } = server.address() as AddressInfo;
    if (!ownHosts(port).has((req.headers.host ?? '').toLowerCase()))
      return reply(421, '<p>Misdirected request: open this page at localhost.</p>');
    if (url.pathname === '/') {
      const base = options.org
        ? `${options.githubUrl}/organizations/${encodeURIComponent(options.org)}/settings/apps/new`
        : `${options.githubUrl}/settings/apps/new`;
      const manifest = appManifest({ ...options, redirectUrl: `${origin()}/done` });
      return reply(
        200,
        `<form method="post" action="${escape(`${base}?state=${state}`)}">
<input type="hidden" name="manifest" value="${escape(JSON.stringify(manifest))}">
<button>Create the GitHub App on GitHub</button></form>`,
      );
    }
    if (url.pathname === '/done') {
      const code = url.searchParams.get('code') ?? '';
      const given = Buffer.from(url.searchParams.get('state') ?? '');
      if (!code || given.length !== state.length || !timingSafeEqual(given, Buffer.from(state)))
        return reply(400, '<p>Unexpected answer (state mismatch): nothing was stored.</p>');
      if (completed)
        return reply(409, '<p>This registration is already complete: nothing more was stored.</p>');
      completed = true;
      convertManifestCode(options.githubApiUrl, code)
        .then(async (conversion) => {
          const secrets = secretsFromConversion(conversion);
          await options.writeSecrets(secrets);
          reply(200, `<p>${escape(conversion.slug)} is registered and its credentials are stored.</p>`);
          settle.resolve({ appId: secrets.app.appId, slug: secrets.app.slug });
        })
        .catch((error: unknown) => {
          reply(500, '<p>Registration failed: see the terminal.</p>');
          settle.reject(error);
        });
      return;
    }
    reply(404, '<p>Not found</p>');
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const origin = () => `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin()}/`,
    done,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function stackOutputs(stackName: string): StackOutputs {
  const raw = execFileSync(
    'aws',
    [
      'cloudformation',
      'describe-stacks',
      '--stack-name',
      stackName,
      '--query',
      'Stacks[0].Outputs',
      '--output',
      'json',
    ],
    { encoding: 'utf8' },
  );
  const outputs = Object.fromEntries(
    (JSON.parse(raw) as { OutputKey: string; OutputValue: string }[]).map((o) => [
      o.OutputKey,
      o.OutputValue,
    ]),
  );
  for (const key of ['OAuthCallbackUrl', 'WebhookUrl', 'GitHubAppSecretArn', 'WebhookSecretArn'])
    if (!outputs[key]) throw new Error(`Stack ${stackName} has no output ${key}: deploy it first`);
  return outputs as StackOutputs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      homepage: { type: 'string' },
      name: { type: 'string' },
      org: { type: 'string' },
      stack: { type: 'string', default: 'GitHubAppAccounts' },
      port: { type: 'string', default: '3001' },
      'github-url': { type: 'string', default: 'https://github.com' },
      'github-api-url': { type: 'string', default: 'https://api.github.com' },
    },
  });
  if (!values.homepage) throw new Error('--homepage is required: the frontend, GitHub\'s "Homepage URL"');
  const outputs = stackOutputs(values.stack);
  const client = new SecretsManagerClient({});
  const registration = await startRegistration({
    name: values.name ?? values.stack,
    homepage: values.homepage,
    outputs,
    githubUrl: values['github-url'],
    githubApiUrl: values['github-api-url'],
    ...(values.org ? { org: values.org } : {}),
    port: Number(values.port),
    writeSecrets: async (secrets) => {
      await client.send(
        new PutSecretValueCommand({
          SecretId: outputs.GitHubAppSecretArn,
          SecretString: JSON.stringify(secrets.app),
        }),
      );
      await client.send(
        new PutSecretValueCommand({
          SecretId: outputs.WebhookSecretArn,
          SecretString: JSON.stringify(secrets.webhook),
        }),
      );
    },
  });
  console.log(`Open ${registration.url} in a browser signed in to GitHub.`);
  try {
    const { appId, slug } = await registration.done;
    console.log(`Registered ${slug} (App ID ${appId}); credentials stored in the stack's secrets.`);
  } finally {
    await registration.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
