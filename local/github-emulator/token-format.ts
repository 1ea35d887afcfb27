import { createHash, createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Permissions } from './world.js';

/**
 * The installation token formats. Since April 2026 GitHub issues `ghs_<appId>_<JWT>`: about 520
 * characters, varying in length, with dots (the `new` format, the default). `classic` is the former
 * `ghs_` + 36 base62 characters (GITHUB_EMULATOR_TOKEN_FORMAT=classic, or startGitHubEmulator's
 * `tokenFormat`). The emulator accepts both (it looks tokens up by their whole text).
 */
export type InstallationTokenFormat = 'new' | 'classic';

export function tokenFormatFromEnv(
  value: string | undefined = process.env.GITHUB_EMULATOR_TOKEN_FORMAT,
): InstallationTokenFormat {
  if (value === undefined || value === '' || value === 'new') return 'new';
  if (value === 'classic') return 'classic';
  throw new Error(`GITHUB_EMULATOR_TOKEN_FORMAT must be "new" or "classic", not "${value}"`);
}

/** Total length of a new-format token, as GitHub's vary: 500–600 characters. */
export const NEW_TOKEN_LENGTH = { min: 500, max: 600 } as const;

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A new-format installation token: `ghs_<appId>_` then a signed JWT (HS256 with the emulator's own
 * key) naming the installation and a hash of its scope, padded with random claims to a random length
 * between 510 and 590 characters, so no client can rely on one length.
 */
export function newFormatInstallationToken(input: {
  appId: number;
  installationId: number;
  issuedAtSeconds: number;
  expiresAtSeconds: number;
  permissions: Permissions;
  repositoryIds: Set<number> | null;
  key: Buffer;
}): string {
  const prefix = `ghs_${input.appId}_`;
  const header = part({
    alg: 'HS256',
    typ: 'JWT',
    kid: createHash('sha256').update(input.key).digest('hex').slice(0, 16),
  });
  const scope = createHash('sha256')
    .update(JSON.stringify([input.permissions, input.repositoryIds ? [...input.repositoryIds].sort() : null]))
    .digest('base64url');
  const target = randomInt(NEW_TOKEN_LENGTH.min + 10, NEW_TOKEN_LENGTH.max - 10 + 1);
  const jti = randomUUID();
  const claims = (pad: string) => ({
    iss: 'github-emulator',
    sub: `installation:${input.installationId}`,
    aid: input.appId,
    iat: input.issuedAtSeconds,
    exp: input.expiresAtSeconds,
    jti,
    scp: scope,
    pad,
  });
  const signatureLength = 43; // HS256: 32 bytes, base64url
  // Grow the padding one character at a time (base64 adds 1 or 2 characters) up to the target length.
  const alphabet = randomBytes(NEW_TOKEN_LENGTH.max).toString('base64url');
  let pad = '';
  let payload = part(claims(pad));
  while (prefix.length + header.length + payload.length + signatureLength + 2 < target) {
    pad += alphabet[pad.length] ?? 'x';
    payload = part(claims(pad));
  }
  const signature = createHmac('sha256', input.key).update(`${header}.${payload}`).digest('base64url');
  return `${prefix}${header}.${payload}.${signature}`;
}
