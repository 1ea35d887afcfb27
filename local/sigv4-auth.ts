import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * API Gateway's IAM authorizer, locally (docs/token-vending.md "Locally"): routes marked `auth: 'iam'`
 * (functions/shared/service-routes.ts) admit only requests signed with AWS Signature Version 4 for the
 * service `execute-api` in the region, by one of the service credentials of the local secrets file. The
 * signature is recomputed with the AWS SDK's own signer over the request exactly as received (method,
 * host, path, query, the headers it signed, the body's SHA-256), so what a client signs for AWS is what
 * passes here, and a request altered after signing does not.
 */

/** A stand-in for an IAM role's credentials: whoever signs with them calls as `roleArn`. */
export type ServiceCredential = { accessKeyId: string; secretAccessKey: string; roleArn: string };

/** What API Gateway hands the function in `requestContext.authorizer.iam` (payload v2). */
export type IamAuthorizerContext = {
  accessKey: string;
  accountId: string;
  callerId: string;
  cognitoIdentity: null;
  principalOrgId: null;
  userArn: string;
  userId: string;
};

export type SigV4Request = {
  method: string;
  /** The URL as the server received it (host from the Host header). */
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
};

export type SigV4Outcome =
  { ok: true; iam: IamAuthorizerContext } | { ok: false; status: 403; error: string; message: string };

/** API Gateway refuses a signature more than 5 minutes off its clock, either way. */
export const SIGV4_MAX_SKEW_MS = 5 * 60 * 1000;
export const SIGV4_SERVICE = 'execute-api';

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;.\-_]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
/** The session name STS would give the local caller (the assumed-role ARN's last part). */
const LOCAL_SESSION = 'local-sigv4';

const refuse = (error: string, message: string): SigV4Outcome => ({ ok: false, status: 403, error, message });

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** The role's assumed-role identity, as API Gateway reports a caller using temporary role credentials. */
export function iamContextOf(credential: ServiceCredential): IamAuthorizerContext | undefined {
  const role = ROLE_ARN.exec(credential.roleArn);
  if (!role?.[1] || !role[2]) return undefined;
  // IAM's unique role id (AROA…) is opaque to the service: a stable stand-in per access key.
  const roleId = `AROA${createHash('sha256').update(credential.roleArn).digest('hex').slice(0, 17).toUpperCase()}`;
  const userId = `${roleId}:${LOCAL_SESSION}`;
  return {
    accessKey: credential.accessKeyId,
    accountId: role[1],
    callerId: userId,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: `arn:aws:sts::${role[1]}:assumed-role/${role[2]}/${LOCAL_SESSION}`,
    userId,
  };
}

/**
 * Verifies the request's SigV4 signature as API Gateway does for an IAM-authorized route: a missing or
 * malformed signature, an unknown access key, another service or region, a date more than 5 minutes
 * off, a body that is not the one signed, or any other mismatch is 403 (the message says which, never
 * a secret). On success, the caller's identity as the authorizer hands it on.
 */
export async function verifySigV4(
  request: SigV4Request,
  options: { credentials: readonly ServiceCredential[]; region: string; now?: () => number },
): Promise<SigV4Outcome> {
  const authorization = header(request.headers, 'authorization');
  if (!authorization)
    return refuse('missing_authentication', 'Sign the request with AWS Signature Version 4 (execute-api).');
  const parsed = AUTHORIZATION.exec(authorization.trim());
  if (!parsed)
    return refuse('invalid_signature', 'The Authorization header is not an AWS4-HMAC-SHA256 signature.');
  const [
    ,
    accessKeyId = '',
    scopeDate = '',
    region = '',
    service = '',
    signedHeaderList = '',
    signature = '',
  ] = parsed;
  const credential = options.credentials.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (!credential)
    return refuse('unknown_access_key', 'The security token included in the request is invalid.');
  if (service !== SIGV4_SERVICE || region !== options.region)
    return refuse(
      'invalid_signature',
      `The credential scope must be ${options.region}/${SIGV4_SERVICE}, not ${region}/${service}.`,
    );

  const amzDate = header(request.headers, 'x-amz-date');
  const date = amzDate ? AMZ_DATE.exec(amzDate) : null;
  if (!amzDate || !date) return refuse('invalid_signature', 'X-Amz-Date (YYYYMMDDTHHMMSSZ) is required.');
  const signedAt = Date.UTC(
    Number(date[1]),
    Number(date[2]) - 1,
    Number(date[3]),
    Number(date[4]),
    Number(date[5]),
    Number(date[6]),
  );
  const now = options.now?.() ?? Date.now();
  if (Math.abs(now - signedAt) > SIGV4_MAX_SKEW_MS)
    return refuse(
      'signature_expired',
      'Signature expired: X-Amz-Date is more than 5 minutes from the server time. Sign each request when it is sent.',
    );
  if (amzDate.slice(0, 8) !== scopeDate)
    return refuse('invalid_signature', "The credential scope's date is not X-Amz-Date's.");

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date'))
    return refuse('invalid_signature', 'The signature must cover the host and x-amz-date headers.');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(request.headers, name);
    if (value === undefined) return refuse('invalid_signature', `The signed header ${name} is missing.`);
    headers[name] = value;
  }
  // A signed payload hash must be the body's: the signer trusts the header, so it is checked here.
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const claimedHash = headers['x-amz-content-sha256'];
  if (claimedHash !== undefined && claimedHash !== bodyHash)
    return refuse('invalid_signature', 'The body is not the one signed (x-amz-content-sha256).');

  const query: Record<string, string | string[]> = {};
  for (const key of new Set(request.url.searchParams.keys())) {
    const values = request.url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  const signer = new SignatureV4({
    service: SIGV4_SERVICE,
    region: options.region,
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    sha256: Sha256,
    // Only what the client signed: no header of the verifier's own.
    applyChecksum: false,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query,
      headers,
      body: request.body,
    },
    { signingDate: new Date(signedAt), signableHeaders: new Set(signedHeaders) },
  );
  const recomputed = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization ?? ''))?.[1] ?? '';
  const list = /SignedHeaders=([^,]+)/.exec(String(expected.headers.authorization ?? ''))?.[1];
  if (
    list !== signedHeaderList ||
    recomputed.length !== signature.length ||
    !timingSafeEqual(Buffer.from(recomputed), Buffer.from(signature))
  )
    return refuse(
      'invalid_signature',
      'The request signature we calculated does not match the signature you provided.',
    );
  const iam = iamContextOf(credential);
  if (!iam) return refuse('unknown_access_key', 'The credential names no IAM role.');
  return { ok: true, iam };
}
