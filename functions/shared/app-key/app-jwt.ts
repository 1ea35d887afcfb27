import { createHash } from 'node:crypto';
import { getConfig } from '../config.js';
import { ConfigurationError } from '../errors.js';
import type { GitHubAppCredentials } from '../secrets/index.js';
import { createKmsClient, KmsError, type KmsClient } from './kms-client.js';

/** Signs a SHA-256 digest with the App's private key (RSASSA-PKCS1-v1_5): KMS Sign in kms mode. */
export type SignDigest = (digest: Buffer) => Promise<Buffer>;

/** @octokit/auth-app's `createJwt` option: the App JWT without the PEM at hand. */
export type CreateJwt = (
  appId: string | number,
  timeDifference?: number,
) => Promise<{ jwt: string; expiresAt: string }>;

/** GitHub's advice: iat 60 s in the past (clock drift), exp at most 10 minutes after iat. */
const ISSUED_BEFORE_SECONDS = 60;
const LIFETIME_SECONDS = 600;
/** A JWT is reused while this much of its life is left: one KMS Sign per container every ~4 minutes. */
const REUSE_MARGIN_SECONDS = 300;

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * An RS256 App JWT (`{ iat, exp, iss }`, as universal-github-app-jwt makes one) whose signature comes
 * from `sign`. auth-app passes `timeDifference` after GitHub said the clock is off; a JWT is kept per
 * (App, time difference) while it has more than 5 minutes to live, so KMS is asked rarely (its RSA
 * Sign quota is per account and Region).
 */
export function createJwtWith(sign: SignDigest, now: () => number = Date.now): CreateJwt {
  const kept = new Map<string, { jwt: string; exp: number; expiresAt: string }>();
  return async (appId, timeDifference = 0) => {
    const seconds = Math.floor(now() / 1000) + timeDifference;
    const key = `${appId}|${timeDifference}`;
    const hit = kept.get(key);
    if (hit && hit.exp - seconds > REUSE_MARGIN_SECONDS) return { jwt: hit.jwt, expiresAt: hit.expiresAt };
    const iat = seconds - ISSUED_BEFORE_SECONDS;
    const exp = iat + LIFETIME_SECONDS;
    const signingInput = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${base64url(
      JSON.stringify({ iat, exp, iss: appId }),
    )}`;
    const signature = await sign(createHash('sha256').update(signingInput).digest());
    const jwt = `${signingInput}.${base64url(signature)}`;
    const expiresAt = new Date(exp * 1000).toISOString();
    kept.set(key, { jwt, exp, expiresAt });
    return { jwt, expiresAt };
  };
}

/** KMS Sign of a digest with the asymmetric key `keyId` (RSA_2048, SIGN_VERIFY). */
export function kmsSignDigest(client: KmsClient, keyId: string): SignDigest {
  return async (digest) => {
    const answer = await client.call<{ Signature?: unknown }>('Sign', {
      KeyId: keyId,
      Message: digest.toString('base64'),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
    if (typeof answer.Signature !== 'string' || answer.Signature === '')
      throw new KmsError('KMS Sign answered without a Signature', undefined, 200);
    return Buffer.from(answer.Signature, 'base64');
  };
}

let kmsJwt: { keyId: string; createJwt: CreateJwt } | undefined;

/**
 * What `createAppAuth` signs App JWTs with: the PEM of the App secret, or (APP_KEY_SIGNING=kms) KMS
 * Sign with APP_KEY_ID, the PEM nowhere in the function. The KMS client is made once per container.
 */
export function appJwtSigning(
  credentials: GitHubAppCredentials,
): { privateKey: string } | { createJwt: CreateJwt } {
  const { appKeySigning } = getConfig();
  if (appKeySigning.kind === 'secret') {
    if (!credentials.privateKey)
      throw new ConfigurationError(
        'Secret GitHub App secret is incomplete or malformed: privateKey: missing',
      );
    return { privateKey: credentials.privateKey };
  }
  const { keyId, endpoint } = appKeySigning;
  if (keyId === undefined)
    throw new ConfigurationError(
      'Invalid configuration: APP_KEY_ID is missing (APP_KEY_SIGNING=kms, and this function signs App JWTs)',
    );
  if (kmsJwt?.keyId !== keyId) {
    const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new ConfigurationError('Invalid configuration: AWS_REGION is missing (KMS signing)');
    kmsJwt = { keyId, createJwt: createJwtWith(kmsSignDigest(createKmsClient({ region, endpoint }), keyId)) };
  }
  return { createJwt: kmsJwt.createJwt };
}
