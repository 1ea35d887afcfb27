import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS_SETTINGS } from '../../local/dynamodb-local.js';
import { assertPortFree, freePort } from '../../local/ports.js';
import { startNpmStart, stopNpmStart } from '../support/npm-start.js';

const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
const start = (port: number, dynamoPort: number, emulatorPort?: number) =>
  startNpmStart({ dataDir, port, dynamoPort, ...(emulatorPort ? { emulatorPort } : {}) });

describe('npm start', () => {
  it('serves /health, prints what runs where, keeps data across restarts and stops everything on Ctrl-C', async () => {
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
  });

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
});
