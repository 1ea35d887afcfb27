import { get } from 'node:http';
import { ConfigurationError } from '../errors.js';
import { createArnSecretsSource, type SecretArns } from './arn-source.js';
import type { SecretsSource } from './types.js';

/** As the SDK source: a warm container asks the extension (itself a cache) at most this often. */
const MAX_AGE_MS = 300_000;
/** The extension answers this while it starts (Lambda starts it beside the function's own init). */
const NOT_READY_RETRIES = 20;

type Env = Record<string, string | undefined>;

/**
 * One GET to the AWS Parameters and Secrets Lambda extension (`localhost:2773`, or
 * PARAMETERS_SECRETS_EXTENSION_HTTP_PORT), authenticated by the invocation's AWS_SESSION_TOKEN. It
 * answers GetSecretValue's JSON. node:http, not fetch: fetch loads undici on a cold start (~30 ms).
 */
function fetchSecretString(arn: string, env: Env): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(
      {
        host: '127.0.0.1',
        port: Number(env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773),
        path: `/secretsmanager/get?secretId=${encodeURIComponent(arn)}`,
        headers: { 'X-Aws-Parameters-Secrets-Token': env.AWS_SESSION_TOKEN ?? '' },
        timeout: 5000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('the secrets extension did not answer in 5 s')));
    request.on('error', reject);
  });
}

async function readThroughExtension(arn: string, env: Env): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    const { status, body } = await fetchSecretString(arn, env);
    if (status === 200) {
      const secretString = (JSON.parse(body) as { SecretString?: unknown }).SecretString;
      if (typeof secretString !== 'string') throw new ConfigurationError(`Secret ${arn} has no SecretString`);
      try {
        return JSON.parse(secretString) as unknown;
      } catch {
        throw new ConfigurationError(`Secret ${arn} is not JSON`);
      }
    }
    // "not ready to serve traffic, please wait": the extension is still starting.
    if (status === 400 && /not ready/i.test(body) && attempt < NOT_READY_RETRIES) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    // The body may name the secret, never holds its value (the call failed).
    throw new Error(`The secrets extension answered ${status} for ${arn}: ${body.slice(0, 200)}`);
  }
}

/**
 * Reads the secrets through the AWS Parameters and Secrets Lambda extension instead of the SDK: no
 * Secrets Manager client is loaded or set up on a cold start (docs/performance.md "Secrets: SDK or extension (decision)").
 */
export function createExtensionSecretsSource(options: SecretArns, env: Env = process.env): SecretsSource {
  const cache = new Map<string, { at: number; value: Promise<unknown> }>();
  return createArnSecretsSource(options, (arn) => {
    const hit = cache.get(arn);
    if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.value;
    const value = readThroughExtension(arn, env);
    cache.set(arn, { at: Date.now(), value });
    // A failed read is not cached: the next request asks again.
    value.catch(() => {
      if (cache.get(arn)?.value === value) cache.delete(arn);
    });
    return value;
  });
}
