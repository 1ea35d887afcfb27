import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS_SETTINGS } from '../../local/dynamodb-local.js';
import { DEMO_GENERATED_REPOSITORIES } from '../../local/github-emulator/seed.js';
import { assertPortFree, freePort } from '../../local/ports.js';
import { NPM_START_TIMEOUT_MS, startNpmStart, stopNpmStart } from '../support/npm-start.js';

const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
const start = (port: number, dynamoPort: number, emulatorPort?: number) =>
  startNpmStart({ dataDir, port, dynamoPort, ...(emulatorPort ? { emulatorPort } : {}) });

describe('npm start', () => {
  it(
    'serves /health, prints what runs where, keeps data across restarts and stops everything on Ctrl-C',
    async () => {
      const [port, dynamoPort, emulatorPort] = [await freePort(), await freePort(), await freePort()];
      const first = await start(port, dynamoPort, emulatorPort);
      expect(first.emulatorUrl).toBe(`http://localhost:${emulatorPort}`);
      expect(first.output()).toMatch(/API\s+http:\/\/localhost:\d+/);
      expect(first.output()).toContain('table "github-app-accounts" created');
      expect(first.output()).toContain(`emulator at http://localhost:${emulatorPort}`);
      expect(first.output()).toMatch(/Redelivery\s+failed webhook deliveries every 60 s/);

      // The seeded world: the App on octo-demo and octo-org, octo-no-app without it, webhooks sent to the service.
      const world = (await (await fetch(`http://localhost:${emulatorPort}/_emulator/world`)).json()) as {
        installations: Array<{ account: string }>;
        accounts: Array<{ login: string; members: string[] }>;
      };
      expect(world.installations.map((i) => i.account)).toEqual(['octo-demo', 'octo-org']);
      expect(world.accounts.find((a) => a.login === 'octo-org')?.members).toEqual([
        'octo-demo',
        'octo-teammate',
      ]);
      expect(world.accounts.map((a) => a.login)).toContain('octo-no-app');
      // octo-org's repositories: web-app with content to import, and 1,000 more so the list pages.
      const { repositories } = world as unknown as { repositories: string[] };
      expect(repositories).toContain('octo-org/web-app');
      expect(repositories.filter((name) => name.startsWith('octo-org/service-'))).toHaveLength(
        DEMO_GENERATED_REPOSITORIES,
      );
      const { deliveries } = (await (
        await fetch(`http://localhost:${emulatorPort}/_emulator/deliveries`)
      ).json()) as {
        deliveries: Array<{ event: string; status_code: number | null }>;
      };
      expect(deliveries.map((d) => d.event)).toEqual(['installation', 'installation']);
      expect(deliveries.every((d) => d.status_code !== null)).toBe(true);

      const client = DynamoDBDocumentClient.from(
        new DynamoDBClient({ ...LOCAL_AWS_SETTINGS, endpoint: `http://127.0.0.1:${dynamoPort}` }),
      );
      await client.send(
        new PutCommand({
          TableName: 'github-app-accounts',
          Item: { PK: 'ACCOUNT#persisted', SK: 'META', name: 'kept' },
        }),
      );
      expect(await stopNpmStart(first)).toBe(0);
      // Ctrl-C took DynamoDB Local down too: both ports are free again.
      await expect(assertPortFree(port, 'PORT')).resolves.toBeUndefined();
      await expect(assertPortFree(dynamoPort, 'DYNAMODB_PORT')).resolves.toBeUndefined();
      await expect(assertPortFree(emulatorPort, 'GITHUB_EMULATOR_PORT')).resolves.toBeUndefined();

      const second = await start(port, dynamoPort, emulatorPort);
      try {
        expect(second.output()).toContain('reused, data kept');
        const { Item } = await client.send(
          new GetCommand({ TableName: 'github-app-accounts', Key: { PK: 'ACCOUNT#persisted', SK: 'META' } }),
        );
        expect(Item).toMatchObject({ name: 'kept' });
      } finally {
        client.destroy();
        await stopNpmStart(second);
      }
      // Two whole starts of npm start (seeding 1,002 repositories each time) on a 2-core machine.
    },
    2 * NPM_START_TIMEOUT_MS,
  );

  it('says clearly when the port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer((socket) => socket.destroy());
    const port = await new Promise<number>((r) =>
      blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)),
    );
    try {
      await expect(start(port, await freePort())).rejects.toThrow(/Port \d+ is already in use.*set PORT/);
    } finally {
      blocker.close();
    }
  });

  it(
    'survives DynamoDB Local exiting: reported, restarted on the same data, the API answering on',
    async () => {
      const [port, dynamoPort] = [await freePort(), await freePort()];
      const started = await startNpmStart({
        dataDir: mkdtempSync(join(tmpdir(), 'npm-start-')),
        port,
        dynamoPort,
      });
      const client = DynamoDBDocumentClient.from(
        new DynamoDBClient({ ...LOCAL_AWS_SETTINGS, endpoint: started.dynamoEndpoint }),
      );
      try {
        const key = { PK: 'ACCOUNT#before-crash', SK: 'META' };
        await client.send(
          new PutCommand({ TableName: 'github-app-accounts', Item: { ...key, name: 'kept' } }),
        );
        // A request that needs the table: an unknown (well-formed) session is 401 once the table answered.
        const me = () =>
          fetch(`${started.apiUrl}/me`, {
            headers: { authorization: `Bearer ${'a'.repeat(43)}` },
            signal: AbortSignal.timeout(10_000),
          });
        expect((await me()).status).toBe(401);

        // DynamoDB Local's own Java process (found by its port) dies as a crash would.
        const java = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
          .split('\n')
          .find((line) => line.includes('DynamoDBLocal.jar') && line.includes(`-port ${dynamoPort}`));
        const pid = Number(java?.trim().split(/\s+/)[0]);
        expect(pid).toBeGreaterThan(0);
        process.kill(pid, 'SIGKILL');

        let status = 0;
        for (let attempt = 0; attempt < 180 && status !== 401; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          status = (await me()).status;
          expect(started.child.exitCode).toBeNull();
          // While it is down, a request is a 503 to try again, not a crash or a hang.
          expect([401, 503]).toContain(status);
        }
        expect(status).toBe(401);
        expect(started.output()).toMatch(/DynamoDB Local stopped unexpectedly.*restarting/);
        expect(started.output()).toMatch(/DynamoDB Local restarted/);
        const { Item } = await client.send(new GetCommand({ TableName: 'github-app-accounts', Key: key }));
        expect(Item).toMatchObject({ name: 'kept' });
        expect((await fetch(`${started.apiUrl}/health`)).status).toBe(200);
      } finally {
        client.destroy();
        expect(await stopNpmStart(started)).toBe(0);
      }
      await expect(assertPortFree(dynamoPort, 'DYNAMODB_PORT')).resolves.toBeUndefined();
    },
    NPM_START_TIMEOUT_MS,
  );

  it(
    'refuses a partial set of real GitHub App settings, naming what is missing, before starting anything',
    async () => {
      const dynamoPort = await freePort();
      const outcome = await startNpmStart({
        dataDir: mkdtempSync(join(tmpdir(), 'npm-start-')),
        dynamoPort,
        env: { GITHUB_APP_ID: '12345', GITHUB_CLIENT_ID: 'Iv23real' },
      }).then(
        async (started) => {
          await stopNpmStart(started);
          return 'started anyway';
        },
        (error: Error) => error.message,
      );
      expect(outcome).toMatch(/GITHUB_APP_SLUG, GITHUB_CLIENT_SECRET, GITHUB_PRIVATE_KEY are missing/);
      await expect(assertPortFree(dynamoPort, 'DYNAMODB_PORT')).resolves.toBeUndefined();
    },
    NPM_START_TIMEOUT_MS,
  );

  it(
    "registers the emulator's App with GITHUB_WEBHOOK_SECRET when only that is set, so deliveries verify",
    async () => {
      const emulatorPort = await freePort();
      const started = await startNpmStart({
        dataDir: mkdtempSync(join(tmpdir(), 'npm-start-')),
        emulatorPort,
        env: { GITHUB_WEBHOOK_SECRET: 'a-webhook-secret-from-the-environment' },
      });
      try {
        expect(started.output()).toContain('emulator at');
        const { deliveries } = (await (
          await fetch(`http://localhost:${emulatorPort}/_emulator/deliveries`)
        ).json()) as { deliveries: Array<{ event: string; status_code: number | null }> };
        expect(deliveries.map((d) => d.status_code)).toEqual([200, 200]);
      } finally {
        await stopNpmStart(started);
      }
    },
    NPM_START_TIMEOUT_MS,
  );
});
