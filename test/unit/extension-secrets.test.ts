import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resetConfigForTests } from '../../functions/shared/config.js';
import { createExtensionSecretsSource } from '../../functions/shared/secrets/extension-source.js';
import { getServices, prefetchAtInit, resetServicesForTests } from '../../functions/shared/services.js';

/**
 * The AWS Parameters and Secrets Lambda extension's HTTP interface, stood in for by a local server
 * that answers as the extension does: GetSecretValue's JSON for `GET /secretsmanager/get?secretId=`,
 * only with the function's session token.
 */
const TOKEN = 'session-token';
const WEBHOOK_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';
const values: Record<string, string> = {
  [WEBHOOK_ARN]: JSON.stringify({ webhookSecret: 'w'.repeat(40) }),
};
let server: Server;
let port: number;
const reads: string[] = [];
let notReady = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.headers['x-aws-parameters-secrets-token'] !== TOKEN) return res.writeHead(401).end('bad token');
    if (notReady > 0) {
      notReady--;
      return res.writeHead(400).end('not ready to serve traffic, please wait');
    }
    const id = url.searchParams.get('secretId') ?? '';
    reads.push(id);
    const value = values[id];
    if (url.pathname !== '/secretsmanager/get' || value === undefined)
      return res.writeHead(404).end('no secret');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ARN: id, Name: 'webhook', SecretString: value, VersionId: 'v1' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  reads.length = 0;
  notReady = 0;
});

const env = () => ({ PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port), AWS_SESSION_TOKEN: TOKEN });

describe('createExtensionSecretsSource', () => {
  it('reads the secret through the extension with the session token, once per container', async () => {
    const source = createExtensionSecretsSource(
      { appSecretArn: undefined, webhookSecretArn: WEBHOOK_ARN, keysSecretArn: undefined },
      env(),
    );
    const [first, second] = await Promise.all([source.webhookSecrets(), source.webhookSecrets()]);
    expect(first).toEqual({ webhookSecret: 'w'.repeat(40) });
    expect(second).toEqual(first);
    await source.webhookSecrets();
    expect(reads).toEqual([WEBHOOK_ARN]);
  });

  it('waits while the extension is still starting', async () => {
    notReady = 2;
    const source = createExtensionSecretsSource(
      { appSecretArn: undefined, webhookSecretArn: WEBHOOK_ARN, keysSecretArn: undefined },
      env(),
    );
    await expect(source.webhookSecrets()).resolves.toEqual({ webhookSecret: 'w'.repeat(40) });
    expect(notReady).toBe(0);
  });

  it('fails without the token, and reads again on the next call', async () => {
    const source = createExtensionSecretsSource(
      { appSecretArn: undefined, webhookSecretArn: WEBHOOK_ARN, keysSecretArn: undefined },
      { ...env(), AWS_SESSION_TOKEN: 'wrong' },
    );
    await expect(source.webhookSecrets()).rejects.toThrow(/answered 401/);
    await expect(source.webhookSecrets()).rejects.toThrow(/answered 401/);
    expect(reads).toEqual([]);
  });

  it('names the missing ARN setting', async () => {
    const source = createExtensionSecretsSource(
      { appSecretArn: undefined, webhookSecretArn: undefined, keysSecretArn: undefined },
      env(),
    );
    await expect(source.webhookSecrets()).rejects.toThrow(/WEBHOOK_SECRET_ARN is missing/);
  });
});

describe('prefetchAtInit', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetConfigForTests();
    resetServicesForTests();
  });

  const useExtension = () => {
    const { LOCAL_SECRETS_FILE: _file, ...rest } = saved;
    process.env = {
      ...rest,
      ...env(),
      TABLE_NAME: 'table',
      API_BASE_URL: 'https://api.example.com',
      FRONTEND_ORIGINS: 'https://app.example.com',
      WEBHOOK_SECRET_ARN: WEBHOOK_ARN,
      SECRETS_READER: 'extension',
    };
    resetConfigForTests();
    resetServicesForTests();
  };

  it("in Lambda, starts reading the function's secrets once, shared with the first request", async () => {
    useExtension();
    prefetchAtInit({ AWS_LAMBDA_FUNCTION_NAME: 'webhook' });
    await expect(getServices().secrets.webhookSecrets()).resolves.toEqual({ webhookSecret: 'w'.repeat(40) });
    expect(reads).toEqual([WEBHOOK_ARN]);
  });

  it('reads nothing outside Lambda', async () => {
    useExtension();
    prefetchAtInit({});
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toEqual([]);
  });
});
