/**
 * Sections 1–3 of `npm run bench`: bundle bytes, import time and the cold first request of the service's
 * functions against the anchor (what a Probot user deploys for the same guarantee) and the floor (the
 * guarantee written by hand), all built and measured in the same run, interleaved, in fresh processes
 * on Lambda's Node. The secret read AWS charges a cold start is included: every subject reads its
 * secrets from a local stand-in of Secrets Manager's API (the SDK) or of the Parameters and Secrets
 * extension's HTTP interface (scripts/bench/secrets-endpoint.ts).
 */
import { randomUUID } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { toApiGatewayEvent } from '../../local/api-event.js';
import type { FunctionBundle } from '../../local/bundles.js';
import type { LocalSecretsFile } from '../../local/local-secrets.js';
import { SERVICE_FUNCTIONS, type ServiceFunctionName } from '../../functions/shared/service-routes.js';
import { buildAnchor, buildFloor } from './anchor.js';
import { coldRequest, importMs, lambdaProcessEnv, writeColdRunner } from './processes.js';
import { startSecretsEndpoint, type SecretsEndpoint } from './secrets-endpoint.js';
import { interleave, median, ratio } from './stats.js';
import { benchInstallation } from './payloads.js';

export const COLD_TARGETS = {
  importFaster: 4,
  bundleSmaller: 6,
  coldFaster: 3,
  /** Our cold first request at most this many times the floor's. */
  coldOverFloor: 1.2,
} as const;

export type ColdStartContext = {
  root: string;
  node: string;
  work: string;
  rounds: number;
  bundles: Record<ServiceFunctionName, FunctionBundle>;
  /** The environment every function runs with locally (bundleEnvironment), secrets file included. */
  localEnv: Record<string, string>;
  secrets: LocalSecretsFile;
  tableName: string;
  dynamodbEndpoint: string;
  /** A signed-in session (GET /me). */
  sessionId: string;
};

const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
const SESSION_TOKEN = 'bench-session-token';

/** How a subject reads its secrets: Secrets Manager's API through the SDK, or the extension. */
type SecretsPath = 'sdk' | 'extension';

export async function benchColdStart(ctx: ColdStartContext): Promise<{ failures: string[] }> {
  const { bundles, secrets } = ctx;
  const functions = Object.keys(SERVICE_FUNCTIONS) as ServiceFunctionName[];
  /** How the stack has the service read its secrets: SECRETS_READER in the template, `sdk` when unset. */
  const SERVICE_READER: SecretsPath =
    bundles.webhook.environment.SECRETS_READER === 'extension' ? 'extension' : 'sdk';
  const anchors = {
    sdk: await buildAnchor(ctx.root, ctx.work, 'sdk'),
    extension: await buildAnchor(ctx.root, ctx.work, 'extension'),
  };
  const anchor = anchors[SERVICE_READER];
  const floors = {
    sdk: await buildFloor(ctx.root, ctx.work, 'sdk'),
    extension: await buildFloor(ctx.root, ctx.work, 'extension'),
  };
  const { privateKey: _pem, publicKey: _public, webhookSecret, ...app } = secrets.githubApp;
  const endpoint: SecretsEndpoint = await startSecretsEndpoint(
    [
      { arn: ARN('app'), value: JSON.stringify({ ...app, privateKey: secrets.githubApp.privateKey }) },
      { arn: ARN('webhook'), value: JSON.stringify({ webhookSecret }) },
      { arn: ARN('keys'), value: JSON.stringify(secrets.serviceKeys) },
    ],
    SESSION_TOKEN,
  );
  const failures: string[] = [];
  try {
    /** What Lambda gives every process, plus where the two secrets interfaces and DynamoDB answer. */
    const awsEnv = (path: SecretsPath) => ({
      AWS_SESSION_TOKEN: SESSION_TOKEN,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(endpoint.port),
      AWS_ENDPOINT_URL_DYNAMODB: ctx.dynamodbEndpoint,
      SECRETS_READER: path,
    });
    /** A function as in AWS: the secret ARNs its stack gives it, no local secrets file. */
    const functionEnv = (fn: ServiceFunctionName, path: SecretsPath) => {
      const { LOCAL_SECRETS_FILE: _file, ...env } = ctx.localEnv;
      const own = bundles[fn].environment;
      const arns = {
        ...(own.GITHUB_APP_SECRET_ARN ? { GITHUB_APP_SECRET_ARN: ARN('app') } : {}),
        ...(own.WEBHOOK_SECRET_ARN ? { WEBHOOK_SECRET_ARN: ARN('webhook') } : {}),
        ...(own.SERVICE_KEYS_SECRET_ARN ? { SERVICE_KEYS_SECRET_ARN: ARN('keys') } : {}),
      };
      const nodeOptions = typeof own.NODE_OPTIONS === 'string' ? own.NODE_OPTIONS : '';
      return lambdaProcessEnv(fn, { ...env, ...arns, ...awsEnv(path), NODE_OPTIONS: nodeOptions });
    };
    const webhookOptions = bundles.webhook.environment.NODE_OPTIONS;
    const webhookNodeOptions = typeof webhookOptions === 'string' ? webhookOptions : '';
    // The anchor and the floor run with the webhook function's NODE_OPTIONS and read the same secret.
    const handWrittenEnv = (name: string, path: SecretsPath) =>
      lambdaProcessEnv(name, {
        NODE_OPTIONS: webhookNodeOptions,
        TABLE_NAME: ctx.tableName,
        WEBHOOK_SECRET_ARN: ARN('webhook'),
        ...awsEnv(path),
        // Probot's own settings (the App's identity; the webhook secret comes from Secrets Manager).
        APP_ID: secrets.githubApp.appId,
        PRIVATE_KEY: secrets.githubApp.privateKey,
        GHE_HOST: '',
      });
    const anchorEnv = handWrittenEnv('anchor', SERVICE_READER);

    // --- 1-2. Bundles and import time, interleaved: every round imports each bundle once.
    type Subject = { name: string; file: string; env: Record<string, string> };
    const subjects: Subject[] = [
      { name: 'anchor', file: anchor.file, env: anchorEnv },
      { name: 'floor', file: floors[SERVICE_READER].file, env: handWrittenEnv('floor', SERVICE_READER) },
      ...functions.map((fn) => ({ name: fn, file: bundles[fn].file, env: functionEnv(fn, SERVICE_READER) })),
    ];
    const imports = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    for (const { subject } of interleave(subjects, ctx.rounds))
      imports.get(subject.name)?.push(await importMs(ctx.node, subject.file, subject.env));
    const anchorImport = median(imports.get('anchor') ?? []);

    console.log(
      `\n1-2. Bundles (JavaScript bytes, no source maps) and import ms (median of ${ctx.rounds} fresh processes, interleaved)`,
    );
    console.log(
      `targets: import ≥ ${COLD_TARGETS.importFaster}× faster and bundle ≥ ${COLD_TARGETS.bundleSmaller}× smaller than the anchor (its import includes its top-level secret read)`,
    );
    console.log('function               bundle   ×smaller   import ms   ×faster   size   import');
    const row = (name: string, bytes: number, ms: number) =>
      `${name.padEnd(20)} ${kb(bytes).padStart(8)} ${ratio(anchor.bytes, bytes).toFixed(1).padStart(9)}× ${ms.toFixed(0).padStart(11)} ${ratio(anchorImport, ms).toFixed(1).padStart(8)}×`;
    console.log(
      `${'anchor (Probot)'.padEnd(20)} ${kb(anchor.bytes).padStart(8)}          —   ${anchorImport.toFixed(0).padStart(9)}         —`,
    );
    console.log(
      `${row('floor (hand-written)', floors.sdk.bytes, median(imports.get('floor') ?? []))}   (reference)`,
    );
    for (const fn of functions) {
      const bytes = statSync(bundles[fn].file).size;
      const ms = median(imports.get(fn) ?? []);
      const sizeOk = ratio(anchor.bytes, bytes) >= COLD_TARGETS.bundleSmaller;
      const importOk = ratio(anchorImport, ms) >= COLD_TARGETS.importFaster;
      if (!sizeOk) failures.push(`${fn} size`);
      if (!importOk) failures.push(`${fn} import`);
      console.log(`${row(fn, bytes, ms)}   ${pass(sizeOk)}   ${pass(importOk)}`);
    }
    console.log(
      `every function: bundle ${pass(!failures.some((f) => f.endsWith('size')))}, import ${pass(!failures.some((f) => f.endsWith('import')))}`,
    );

    // --- 3. Cold first request: process start → answer, the secret read and the PutItem included.
    const installation = (id: number) => benchInstallation(id);
    const eventFile = (name: string, event: unknown) => {
      const file = join(ctx.work, `${name}-${randomUUID()}.json`);
      writeFileSync(file, JSON.stringify(event));
      return file;
    };
    const lambdaEvent = (method: string, path: string, headers: Record<string, string>, body = '') =>
      toApiGatewayEvent(
        {
          method,
          url: new URL(`https://api.example.com${path}`),
          headers,
          body: Buffer.from(body),
          sourceIp: '192.0.2.1',
        },
        { route: { method, path }, pathParameters: {} },
      );
    let nextInstallation = 50_000;
    /** A signed installation.created delivery with a fresh delivery id and installation. */
    const webhookEventFile = async () => {
      const body = JSON.stringify({
        action: 'created',
        installation: installation(nextInstallation++),
        repositories: [],
        sender: { id: 1, login: 'x', type: 'User' },
      });
      const headers = {
        'content-type': 'application/json',
        'x-github-event': 'installation',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await sign(webhookSecret, body),
      };
      return eventFile('webhook', lambdaEvent('POST', '/webhooks/github', headers, body));
    };
    const meFile = eventFile('me', lambdaEvent('GET', '/me', { authorization: `Bearer ${ctx.sessionId}` }));
    const runner = writeColdRunner(ctx.work);
    type Kind = 'anchor' | 'floor' | 'webhook' | 'me' | 'webhook-compare' | 'me-compare';
    type ColdSubject = { kind: Kind; path: SecretsPath; run: () => Promise<{ ms: number; cpuMs: number }> };
    const hook = (file: string, env: Record<string, string>) => async () =>
      coldRequest(ctx.node, runner, file, await webhookEventFile(), env);
    const me = (env: Record<string, string>) => () =>
      coldRequest(ctx.node, runner, bundles.session.file, meFile, env);
    const paths: SecretsPath[] = ['sdk', 'extension'];
    /**
     * BENCH_COMPARE_WEBHOOK / BENCH_COMPARE_SESSION: another build of the webhook / session bundle (e.g.
     * the previous commit's), measured in the same rounds with the service's secret reader, so a change
     * is judged side by side on the same machine at the same load.
     */
    const compare = {
      webhook: process.env.BENCH_COMPARE_WEBHOOK,
      me: process.env.BENCH_COMPARE_SESSION,
    };
    const coldSubjects: ColdSubject[] = [
      ...paths.flatMap((path): ColdSubject[] => [
        { kind: 'anchor', path, run: hook(anchors[path].file, handWrittenEnv('anchor', path)) },
        { kind: 'floor', path, run: hook(floors[path].file, handWrittenEnv('floor', path)) },
        { kind: 'webhook', path, run: hook(bundles.webhook.file, functionEnv('webhook', path)) },
        { kind: 'me', path, run: me(functionEnv('session', path)) },
      ]),
      ...(compare.webhook
        ? [
            {
              kind: 'webhook-compare' as const,
              path: SERVICE_READER,
              run: hook(compare.webhook, functionEnv('webhook', SERVICE_READER)),
            },
          ]
        : []),
      ...(compare.me
        ? [
            {
              kind: 'me-compare' as const,
              path: SERVICE_READER,
              run: () =>
                coldRequest(
                  ctx.node,
                  runner,
                  compare.me ?? '',
                  meFile,
                  functionEnv('session', SERVICE_READER),
                ),
            },
          ]
        : []),
    ];
    const key = (s: { kind: Kind; path: SecretsPath }) => `${s.kind} ${s.path}`;
    const cold = new Map<string, Array<{ ms: number; cpuMs: number }>>(coldSubjects.map((s) => [key(s), []]));
    for (const { subject } of interleave(coldSubjects, ctx.rounds))
      cold.get(key(subject))?.push(await subject.run());
    const coldMs = (kind: Kind, path: SecretsPath) =>
      median((cold.get(`${kind} ${path}`) ?? []).map((r) => r.ms));
    const coldCpu = (kind: Kind, path: SecretsPath) =>
      median((cold.get(`${kind} ${path}`) ?? []).map((r) => r.cpuMs));
    console.log(
      `\n3. Cold first request, process start → answer (median of ${ctx.rounds} fresh processes, interleaved; the secret read and the DynamoDB write included)`,
    );
    console.log(
      `targets: ≥ ${COLD_TARGETS.coldFaster}× faster than the anchor and ≤ ${COLD_TARGETS.coldOverFloor}× the floor, both reading the secret the same way (wall ms; CPU ms: user + system of the process, less sensitive to the machine's load)`,
    );
    const LABEL: Record<Kind, string> = {
      anchor: 'anchor (Probot adapter + PutItem)',
      floor: 'floor (hand-written HMAC + PutItem)',
      webhook: 'webhook (signed installation.created)',
      me: 'GET /me (session)',
      'webhook-compare': `webhook, BENCH_COMPARE_WEBHOOK (${statSync(compare.webhook ?? '', { throwIfNoEntry: false })?.size ?? 0} B)`,
      'me-compare': `GET /me, BENCH_COMPARE_SESSION (${statSync(compare.me ?? '', { throwIfNoEntry: false })?.size ?? 0} B)`,
    };
    for (const path of paths) {
      console.log(
        `\nsecret read through ${path === 'sdk' ? "Secrets Manager's API (SDK)" : 'the Parameters and Secrets extension'}`,
      );
      console.log(`${'subject'.padEnd(40)} wall ms  ×anchor  ×floor   CPU ms  ×anchor  ×floor`);
      const kinds: Kind[] = ['anchor', 'floor', 'webhook', 'me'];
      if (path === SERVICE_READER) {
        if (compare.webhook) kinds.push('webhook-compare');
        if (compare.me) kinds.push('me-compare');
      }
      for (const kind of kinds) {
        const ms = coldMs(kind, path);
        const cpu = coldCpu(kind, path);
        const faster = ratio(coldMs('anchor', path), ms);
        const overFloor = ms / coldMs('floor', path);
        const cells = `${ms.toFixed(0).padStart(7)} ${faster.toFixed(2).padStart(7)}× ${overFloor.toFixed(2).padStart(6)}× ${cpu.toFixed(0).padStart(8)} ${ratio(coldCpu('anchor', path), cpu).toFixed(2).padStart(7)}× ${(cpu / coldCpu('floor', path)).toFixed(2).padStart(6)}×`;
        let verdict = '';
        if (kind === 'webhook' || kind === 'me') {
          const fasterOk = faster >= COLD_TARGETS.coldFaster;
          const floorOk = overFloor <= COLD_TARGETS.coldOverFloor;
          if (path === SERVICE_READER && !(fasterOk && floorOk)) failures.push(`${kind} cold`);
          verdict = `   ${pass(fasterOk)} ${pass(floorOk)}`;
        }
        console.log(`${LABEL[kind].padEnd(40)} ${cells}${verdict}`);
      }
    }
    const serviceRows = ['webhook', 'me'] as const;
    console.log(
      `\nthe service reads through ${SERVICE_READER === 'sdk' ? 'the SDK' : 'the extension'} (SECRETS_READER, set by the stack): cold ${serviceRows
        .map(
          (kind) =>
            `${kind} ${ratio(coldMs('anchor', SERVICE_READER), coldMs(kind, SERVICE_READER)).toFixed(2)}× faster than the anchor, ${(coldMs(kind, SERVICE_READER) / coldMs('floor', SERVICE_READER)).toFixed(2)}× the floor`,
        )
        .join('; ')}: ${pass(!failures.some((f) => f.endsWith('cold')))}`,
    );
    console.log(
      `reading through the extension instead of the SDK: webhook ${(coldMs('webhook', 'sdk') - coldMs('webhook', 'extension')).toFixed(0)} ms (${(coldCpu('webhook', 'sdk') - coldCpu('webhook', 'extension')).toFixed(0)} CPU ms) less, GET /me ${(coldMs('me', 'sdk') - coldMs('me', 'extension')).toFixed(0)} ms (${(coldCpu('me', 'sdk') - coldCpu('me', 'extension')).toFixed(0)} CPU ms) less`,
    );
    console.log(
      `secret reads answered: ${endpoint.reads.sdk} through the SDK (Secrets Manager API), ${endpoint.reads.extension} through the extension interface`,
    );
  } finally {
    await endpoint.close();
  }
  return { failures };
}
