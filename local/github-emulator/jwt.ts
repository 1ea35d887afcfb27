import { verify } from 'node:crypto';
import { GitHubError } from './errors.js';
import type { EmulatedApp, World } from './world.js';

const EXP_MESSAGE =
  "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const IAT_MESSAGE =
  "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
/** How far in the future GitHub tolerates `iat` (clients' clocks drift). */
const IAT_SKEW_SECONDS = 60;

const decodeError = () => new GitHubError(401, 'A JSON web token could not be decoded');

function decodePart(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw decodeError();
  }
}

/**
 * Checks an App JWT as GitHub does: RS256 signed by the registered App's key, `iss` the App id (or its
 * client id), `iat` and `exp` present, `exp` no more than 10 minutes after `iat` and not in the past,
 * `iat` not in the future beyond a small skew. Times are real time (see clock.ts).
 */
export function verifyAppJwt(
  world: World,
  jwt: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): EmulatedApp {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((part) => part.length === 0)) throw decodeError();
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const header = decodePart(headerPart);
  const payload = decodePart(payloadPart);
  if (header.alg !== 'RS256') throw decodeError();

  const iss = payload.iss;
  const app =
    typeof iss === 'number' || (typeof iss === 'string' && /^\d+$/.test(iss))
      ? world.apps.get(Number(iss))
      : typeof iss === 'string'
        ? world.appByClientId(iss)
        : undefined;
  if (iss === undefined) throw new GitHubError(401, "'Issuer' claim ('iss') must be an Integer");
  if (!app) throw new GitHubError(401, 'Integration not found');

  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  if (!verify('RSA-SHA256', signed, app.publicKey, signature)) throw decodeError();

  const { iat, exp } = payload;
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSeconds + IAT_SKEW_SECONDS) {
    throw new GitHubError(401, IAT_MESSAGE);
  }
  if (typeof exp !== 'number') throw new GitHubError(401, EXP_MESSAGE);
  if (exp - iat > 600 || exp > nowSeconds + 600 + IAT_SKEW_SECONDS) {
    throw new GitHubError(401, "'Expiration time' claim ('exp') is too far in the future");
  }
  if (exp <= nowSeconds) throw new GitHubError(401, EXP_MESSAGE);
  return app;
}
