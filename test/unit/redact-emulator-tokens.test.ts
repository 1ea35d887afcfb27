import { generateKeyPairSync } from 'node:crypto';
import { REDACTED, redactingReplacer, redactString } from '../../functions/shared/redact.js';
import { World } from '../../local/github-emulator/world.js';

/**
 * Issue #22, finding 8: every GitHub token format is removed whole, fed with tokens the GitHub emulator
 * actually issues (its own World: user and refresh tokens, both installation token formats), a
 * fine-grained PAT and bare JWTs, wherever they stand in a log line.
 */
function emulatorTokens(): Record<string, string> {
  const world = new World();
  const { publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 1024,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const app = world.registerApp({ slug: 'redact-app', publicKey, expiringUserTokens: true });
  const user = world.createAccount({ login: 'octo-demo', type: 'User' });
  const org = world.createAccount({ login: 'octo-org', type: 'Organization', admins: ['octo-demo'] });
  const installation = world.install({ appId: app.id, accountId: org.id });
  const { access, refresh } = world.issueUserToken(app.id, user.id);
  const tokens: Record<string, string> = {
    'a user token (ghu_)': access.token,
    'a refresh token (ghr_)': refresh?.token ?? '',
    'a new-format installation token (ghs_<appId>_<JWT>)': world.issueInstallationToken(
      installation,
      { contents: 'write' },
      null,
    ).token,
  };
  world.installationTokenFormat = 'classic';
  tokens['a classic installation token (ghs_)'] = world.issueInstallationToken(installation, {}, null).token;
  return tokens;
}

const jwtPart = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const tokens: Record<string, string> = {
  ...emulatorTokens(),
  'a fine-grained PAT (github_pat_)': `github_pat_11ABCDEFG0${'x'.repeat(12)}_${'Y1z'.repeat(20)}`,
  'a short ghp_ token': 'ghp_shortOne',
  'a bare signed JWT': `${jwtPart({ alg: 'RS256', typ: 'JWT' })}.${jwtPart({ iss: '123', iat: 1, exp: 2 })}.c2ln-_x`,
  'an unsigned JWT (alg none)': `${jwtPart({ alg: 'none' })}.${jwtPart({ sub: 'x' })}.`,
};

const contexts: Array<[string, (token: string) => string]> = [
  ['in a URL', (token) => `GET https://api.github.com/repos/o/r?access_token=${token}&page=2 failed`],
  ['in a git URL', (token) => `clone https://x-access-token:${token}@github.com/o/r.git`],
  ['in an error message', (token) => `HttpError: Bad credentials (token ${token}). Retry later`],
  ['in an authorization header', (token) => `authorization: token ${token}`],
  ['in a bearer header', (token) => `Authorization: Bearer ${token}`],
  ['as key=value', (token) => `refreshed user=42 token=${token} expires=3600`],
  ['after an underscore', (token) => `ENV_${token}`],
  ['at the end of a sentence', (token) => `minted ${token}.`],
];

describe('redactString with the tokens GitHub (the emulator) issues', () => {
  for (const [name, token] of Object.entries(tokens)) {
    it.each(contexts)(`removes ${name} whole, %s`, (_where, place) => {
      expect(token.length).toBeGreaterThan(8);
      const redacted = redactString(place(token));
      expect(redacted).toContain(REDACTED);
      // No piece of it survives: not its text, nor any part between dots or underscores.
      expect(redacted).not.toContain(token);
      const body = token.replace(/^(gh[a-z]_|github_pat_)/, '');
      for (const piece of body.split(/[._]/).filter((part) => part.length >= 6))
        expect(redacted).not.toContain(piece);
    });
  }

  it('keeps the text around the token', () => {
    const token = tokens['a new-format installation token (ghs_<appId>_<JWT>)'] ?? '';
    expect(redactString(`refreshed user=42 token=${token} expires=3600`)).toBe(
      `refreshed user=42 token=${REDACTED} expires=3600`,
    );
    expect(redactString(`minted ${token}. Next`)).toBe(`minted ${REDACTED}. Next`);
  });

  it('leaves ordinary text alone', () => {
    for (const text of ['installation 42 linked to account acme', 'the ghost_town repo', 'eyes.open.now'])
      expect(redactString(text)).toBe(text);
  });

  it('replaces them under any key and in errors as the logger serialises them', () => {
    const token = tokens['a new-format installation token (ghs_<appId>_<JWT>)'] ?? '';
    const line = JSON.stringify(
      { note: `x ${token}`, headers: { 'x-token': token }, error: new Error(`failed with ${token}`) },
      redactingReplacer,
    );
    for (const piece of token.split('.')) expect(line).not.toContain(piece);
  });
});
