import { generateKeyPairSync } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { REDACTED, redactingReplacer, redactString } from '../../functions/shared/redact.js';
import { captureOutput } from '../support/capture-output.js';

const userToken = 'ghu_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const refreshToken = 'ghr_' + 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2H1g0F9e8D7c6B5a4';
const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz';
// A real PKCS#1 key made at run time: no key material sits in the repository.
const pem = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;
const pemBody = pem.split('\n')[1] ?? '';

describe('redactString', () => {
  it.each([
    ['a user token', `token ${userToken} failed`],
    ['a refresh token in a URL', `https://x/?refresh_token=${refreshToken}`],
    ['an installation token', `ghs_${'x'.repeat(36)}`],
    ['a bearer JWT', `Authorization: Bearer ${jwt}`],
    ['a PEM private key', `key: ${pem}`],
  ])('removes %s', (_name, text) => {
    const redacted = redactString(text);
    expect(redacted).toContain(REDACTED);
    expect(redacted).not.toMatch(/gh[usr]_[A-Za-z0-9]{10}|eyJhbGci/);
    expect(redacted).not.toContain(pemBody);
  });

  // GitHub's new installation tokens (April 2026): `ghs_<appId>_<JWT>`, with dots and base64url parts.
  const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
  const payload = Buffer.from('{"sub":"installation:40001","pad":"-_x"}').toString('base64url');
  const newFormat = `ghs_123456_${header}.${payload}.K65XdJyo4IMqubZTnoe_v1TLY1SRtDjpiKIpICMC-tw`;

  it.each([
    ['after token=', `token=${newFormat}`, 'token=[REDACTED]'],
    ['in a sentence', `minted ${newFormat}. Next`, 'minted [REDACTED]. Next'],
    ['in JSON', JSON.stringify({ note: `x ${newFormat}` }), '{"note":"x [REDACTED]"}'],
    ['in a URL', `https://x/?access_token=${newFormat}&a=1`, 'https://x/?access_token=[REDACTED]&a=1'],
  ])('removes a new-format installation token whole, %s', (_name, text, expected) => {
    expect(redactString(text)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    expect(redactString('installation 42 linked to account acme')).toBe(
      'installation 42 linked to account acme',
    );
  });
});

describe('redactingReplacer', () => {
  it('replaces values under secret-looking keys whatever they hold', () => {
    const out = JSON.parse(
      JSON.stringify(
        {
          accessToken: 'x',
          refresh_token: 'y',
          clientSecret: 'z',
          'set-cookie': 'session=abc',
          login: 'octocat',
        },
        redactingReplacer,
      ),
    ) as Record<string, string>;
    expect(out).toEqual({
      accessToken: REDACTED,
      refresh_token: REDACTED,
      clientSecret: REDACTED,
      'set-cookie': REDACTED,
      login: 'octocat',
    });
  });
});

describe('Logger with the redacting replacer', () => {
  it('never writes a token, whether in the message, an attribute or an error', () => {
    const output = captureOutput();
    try {
      // Built as functions/shared/logger.ts builds the production logger.
      const redacting = new Logger({
        serviceName: 'test',
        logLevel: 'DEBUG',
        jsonReplacerFn: redactingReplacer,
      });
      redacting.info(`exchanged code for ${userToken}`, {
        token: refreshToken,
        nested: { header: `Bearer ${jwt}` },
      });
      redacting.error('refresh failed', new Error(`GitHub said no to ${refreshToken}`));
    } finally {
      output.restore();
    }
    const text = output.text();
    expect(text).toContain('exchanged code for');
    expect(text).toContain('GitHub said no to [REDACTED]');
    expect(text).not.toContain(userToken);
    expect(text).not.toContain(refreshToken);
    expect(text).not.toContain(jwt);
  });
});
