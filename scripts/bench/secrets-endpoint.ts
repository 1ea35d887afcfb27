import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A secret as the stand-in holds it: the ARN callers ask for and its JSON string. */
export type StoredSecret = { arn: string; value: string };

export type SecretsEndpoint = {
  /** `http://127.0.0.1:port`: AWS_ENDPOINT_URL_SECRETS_MANAGER for the SDK. */
  url: string;
  /** The port the extension interface answers on (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT). */
  port: number;
  /** The token the extension interface requires (Lambda sets AWS_SESSION_TOKEN). */
  token: string;
  /** Reads answered so far, per interface. */
  reads: { sdk: number; extension: number };
  close(): Promise<void>;
};

/**
 * A local stand-in for the two ways a Lambda reads a secret, so a cold start pays for the read as in
 * AWS (without AWS's network time: both answer from memory on loopback):
 * - Secrets Manager's API (AWS JSON 1.1): `POST /` with `X-Amz-Target: secretsmanager.GetSecretValue`
 *   and `{ SecretId }`, answered `{ ARN, Name, SecretString, VersionId, VersionStages, CreatedDate }`;
 * - the AWS Parameters and Secrets Lambda extension's HTTP interface: `GET /secretsmanager/get?secretId=…`
 *   with `X-Aws-Parameters-Secrets-Token` (the function's AWS_SESSION_TOKEN), answered with the same JSON.
 */
export async function startSecretsEndpoint(secrets: StoredSecret[], token: string): Promise<SecretsEndpoint> {
  const reads = { sdk: 0, extension: 0 };
  const created = Math.floor(Date.now() / 1000);
  const answer = (id: string | null) => {
    const secret = secrets.find((s) => s.arn === id || s.arn.split(':secret:')[1] === id);
    if (!secret) return undefined;
    return JSON.stringify({
      ARN: secret.arn,
      Name: secret.arn.split(':secret:')[1],
      SecretString: secret.value,
      VersionId: randomUUID(),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: created,
    });
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/secretsmanager/get') {
        if (req.headers['x-aws-parameters-secrets-token'] !== token) {
          res.writeHead(401, { 'content-type': 'text/plain' }).end('missing or invalid token');
          return;
        }
        reads.extension++;
        const body = answer(url.searchParams.get('secretId'));
        if (body === undefined) res.writeHead(400, { 'content-type': 'text/plain' }).end('secret not found');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        return;
      }
      const type = { 'content-type': 'application/x-amz-json-1.1' };
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        res.writeHead(400, type).end(JSON.stringify({ __type: 'UnknownOperationException' }));
        return;
      }
      reads.sdk++;
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        SecretId?: string;
      };
      const body = answer(SecretId ?? null);
      if (body === undefined)
        res.writeHead(400, type).end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
      else res.writeHead(200, { ...type, 'x-amzn-requestid': randomUUID() }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    reads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
