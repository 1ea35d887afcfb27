/**
 * A platform back-end's client of token vending (docs/token-vending.md): requests signed with AWS
 * Signature Version 4 by the AWS SDK's own signer, for the service `execute-api`. The same code works
 * against API Gateway (the role's credentials, e.g. from the environment Lambda or ECS gives) and against
 * `npm start` (a `serviceCredentials` entry of the local secrets file). `npm run vend` uses it.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

export type AwsCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export type SigningOptions = {
  credentials: AwsCredentials;
  /** The API's region (`us-east-1` for `npm start`). */
  region: string;
  /** When the request is signed (default now): a test signs in the past to see it refused. */
  signingDate?: Date;
};

type RequestInit = { method: string; body?: string; headers?: Record<string, string> };

/**
 * The headers of a request signed for `execute-api`: method, host, path, query, the JSON body (its
 * SHA-256 in `x-amz-content-sha256`) and `x-amz-date`, with `authorization`; `host` left out, since
 * fetch sends the URL's own (the value signed).
 */
export async function signRequest(
  url: string,
  init: RequestInit,
  options: SigningOptions,
): Promise<Record<string, string>> {
  const target = new URL(url);
  const query: Record<string, string> = {};
  for (const [key, value] of target.searchParams) query[key] = value;
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: init.method,
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port ? { port: Number(target.port) } : {}),
      path: target.pathname,
      query,
      headers: {
        host: target.host,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: init.body }),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

/** A fetch signed for `execute-api` (signRequest). */
export async function signedFetch(
  url: string,
  init: RequestInit,
  options: SigningOptions,
): Promise<Response> {
  return fetch(url, {
    method: init.method,
    headers: await signRequest(url, init, options),
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

export type VendedToken = {
  token: string;
  expiresAt: string;
  installationId: number;
  repositories: string[];
  permissions: Record<string, 'read' | 'write'>;
};

/** A refusal as the service answers it: what was not granted, by name. */
export class VendingRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: {
      error?: string;
      message?: string;
      repositories?: string[];
      permissions?: Record<string, string>;
    },
  ) {
    super(`${status} ${body.error ?? ''}: ${body.message ?? ''}`);
    this.name = 'VendingRefused';
  }
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  const body = (text ? JSON.parse(text) : {}) as T & Record<string, unknown>;
  if (!response.ok) throw new VendingRefused(response.status, body);
  return body;
}

/** `POST /service/accounts/{accountId}/tokens`: a token narrowed to `repositories` and `permissions`. */
export async function vendToken(
  apiUrl: string,
  request: {
    accountId: string;
    repositories: string[];
    permissions: Record<string, 'read' | 'write'>;
  },
  options: SigningOptions,
): Promise<VendedToken> {
  const response = await signedFetch(
    `${apiUrl.replace(/\/+$/, '')}/service/accounts/${encodeURIComponent(request.accountId)}/tokens`,
    {
      method: 'POST',
      body: JSON.stringify({ repositories: request.repositories, permissions: request.permissions }),
    },
    options,
  );
  return answer<VendedToken>(response);
}

/** `DELETE /service/tokens`: revokes a token this role was vended (GitHub refuses it afterwards). */
export async function revokeToken(apiUrl: string, token: string, options: SigningOptions): Promise<void> {
  const response = await signedFetch(
    `${apiUrl.replace(/\/+$/, '')}/service/tokens`,
    { method: 'DELETE', body: JSON.stringify({ token }) },
    options,
  );
  await answer<Record<string, never>>(response);
}
