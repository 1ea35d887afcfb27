import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What every fresh process gets besides the function's own environment: what Lambda sets for a
 * Node 22 function (Powertools and the SDK read these), and the SDK's Node warning off.
 */
export function lambdaProcessEnv(functionName: string, environment: Record<string, string>) {
  return {
    PATH: process.env.PATH ?? '',
    ...environment,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // As in Lambda with active tracing: the X-Ray SDK sees Lambda (LAMBDA_TASK_ROOT) and the invocation's
    // trace header, so the tracer finds its segment instead of logging a missing context.
    LAMBDA_TASK_ROOT: '/var/task',
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  };
}

/** Milliseconds a fresh `node` process spends in `import()` of the bundle (module load and top level). */
export async function importMs(node: string, file: string, env: Record<string, string>): Promise<number> {
  const { stdout } = await run(
    node,
    [
      '--input-type=module',
      '-e',
      `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));process.exit(0)`,
    ],
    { env, encoding: 'utf8' },
  );
  return Number(stdout.trim());
}

/**
 * Writes the runner of a cold first request: a fresh process imports the bundle, invokes its handler
 * once with the event, and reports `performance.now()` at the answer, i.e. milliseconds since the
 * process started (Node's time origin), boot, import, SDK set-up and the request included.
 */
export function writeColdRunner(dir: string): string {
  const file = join(dir, 'cold-runner.mjs');
  writeFileSync(
    file,
    `import { readFileSync } from 'node:fs';
const event = JSON.parse(readFileSync(process.env.BENCH_EVENT_FILE, 'utf8'));
const { handler } = await import(process.env.BENCH_BUNDLE_URL);
const deadline = Date.now() + 30000;
const context = {
  callbackWaitsForEmptyEventLoop: true, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench', memoryLimitInMB: '512',
  awsRequestId: crypto.randomUUID(), logGroupName: '/aws/lambda/bench', logStreamName: 'bench',
  getRemainingTimeInMillis: () => deadline - Date.now(), done() {}, fail() {}, succeed() {},
};
const answer = await handler(event, context);
const ms = performance.now();
const { user, system } = process.cpuUsage();
process.stdout.write('\\nBENCH ' + JSON.stringify({ ms, cpuMs: (user + system) / 1000, status: answer?.statusCode ?? 0 }) + '\\n');
process.exit(0);
`,
  );
  return file;
}

/** Runs one cold first request; fails unless the handler answered 2xx. Wall-clock milliseconds. */
export async function coldRequestMs(
  node: string,
  runner: string,
  bundle: string,
  eventFile: string,
  env: Record<string, string>,
): Promise<number> {
  return (await coldRequest(node, runner, bundle, eventFile, env)).ms;
}

/**
 * One cold first request: wall-clock ms (process start → answer) and the CPU ms the process used
 * until then (user + system, all threads), which other work on the machine inflates far less.
 */
export async function coldRequest(
  node: string,
  runner: string,
  bundle: string,
  eventFile: string,
  env: Record<string, string>,
): Promise<{ ms: number; cpuMs: number }> {
  const { stdout, stderr } = await run(node, [runner], {
    env: { ...env, BENCH_BUNDLE_URL: pathToFileURL(bundle).href, BENCH_EVENT_FILE: eventFile },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = /\nBENCH (.*)\n/.exec(stdout)?.[1];
  const result = line ? (JSON.parse(line) as { ms: number; cpuMs: number; status: number }) : undefined;
  if (process.env.BENCH_DEBUG) console.error(`--- ${bundle}\n${stderr.slice(0, 1500)}`);
  if (!result || result.status < 200 || result.status >= 300)
    throw new Error(`cold request of ${bundle} failed: ${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
  return { ms: result.ms, cpuMs: result.cpuMs };
}
