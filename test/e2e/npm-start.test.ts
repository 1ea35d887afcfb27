import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS_SETTINGS } from '../../local/dynamodb-local.js';
import { assertPortFree, freePort } from '../../local/ports.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));

type Started = { child: ChildProcess; output: () => string };

async function start(port: number, dynamoPort: number, emulatorPort?: number): Promise<Started> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DYNAMODB_PORT: String(dynamoPort),
    GITHUB_EMULATOR_PORT: String(emulatorPort ?? (await freePort())),
    LOCAL_DATA_DIR: dataDir,
  };
  for (const name of ['DYNAMODB_ENDPOINT', 'GITHUB_API_URL', 'GITHUB_WEB_URL', 'GITHUB_APP_ID'])
    delete env[name];
  delete env.LOCAL_SECRETS_FILE;
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for the service
  const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'local/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    try {
      const response = await fetch(`http://localhost:${port}/health`, { signal: AbortSignal.timeout(1000) });
      // Ready once /health answers and the banner (printed after seeding) is out.
      if (response.status === 200 && output.includes('Ctrl-C stops everything'))
        return { child, output: () => output };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no /health within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(started: Started): Promise<number | null> {
  const exited = new Promise<number | null>((r) => started.child.once('exit', (code) => r(code)));
  started.child.kill('SIGINT');
  return exited;
}

describe('npm start', () => {
  it('serves /health, prints what runs where, keeps data across restarts and stops everything on Ctrl-C', async () => {
    const [port, dynamoPort, emulatorPort] = [await freePort(), await freePort(), await freePort()];
    const first = await start(port, dynamoPort, emulatorPort);
    expect(first.output()).toMatch(/API\s+http:\/\/localhost:\d+/);
    expect(first.output()).toContain('table "github-app-accounts" created');
    expect(first.output()).toContain(`emulator at http://localhost:${emulatorPort}`);

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
    expect(await stop(first)).toBe(0);
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
      await stop(second);
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
