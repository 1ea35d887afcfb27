import { describeToken, parseVendArgs } from '../../scripts/vend.js';

describe('npm run vend', () => {
  it('finds the API as npm start printed it and the local secrets file by itself', () => {
    const args = parseVendArgs(
      ['--account', 'acc', '--repo', 'octo-org/a', '--repo', 'octo-org/b', '--permission', 'contents:read'],
      { PORT: '3100', LOCAL_DATA_DIR: '/tmp/data' },
    );
    expect(args).toEqual({
      accountId: 'acc',
      repositories: ['octo-org/a', 'octo-org/b'],
      permissions: { contents: 'read' },
      showToken: false,
      apiUrl: 'http://localhost:3100',
      role: undefined,
      secretsFile: '/tmp/data/secrets.json',
      aws: false,
    });
    const explicit = parseVendArgs(
      ['--account', 'acc', '--repo', 'o/r', '--permission', 'statuses:write', '--show-token'],
      { API_BASE_URL: 'http://localhost:4000', LOCAL_SECRETS_FILE: '/tmp/s.json' },
    );
    expect(explicit).toMatchObject({
      apiUrl: 'http://localhost:4000',
      secretsFile: '/tmp/s.json',
      showToken: true,
      permissions: { statuses: 'write' },
    });
  });

  it('refuses a request it cannot send: no account, no repository, a permission without its level', () => {
    expect(() => parseVendArgs(['--repo', 'o/r', '--permission', 'contents:read'], {})).toThrow(/Usage/);
    expect(() => parseVendArgs(['--account', 'a', '--permission', 'contents:read'], {})).toThrow(/Usage/);
    expect(() => parseVendArgs(['--account', 'a', '--repo', 'o/r', '--permission', 'contents'], {})).toThrow(
      /contents:read/,
    );
  });

  it('prints the scope, expiry and audit digest; the token only when asked', () => {
    const vended = {
      token: 'ghs_1_abc.def.ghi',
      expiresAt: '2026-12-07T21:15:00Z',
      installationId: 7,
      repositories: ['octo-org/a'],
      permissions: { contents: 'read' as const },
    };
    const hidden = describeToken(vended, false);
    expect(hidden).toContain('repositories  octo-org/a');
    expect(hidden).toContain('permissions   contents:read');
    expect(hidden).toContain('expires       2026-12-07T21:15:00Z');
    expect(hidden).not.toContain(vended.token);
    expect(describeToken(vended, true)).toContain(`token         ${vended.token}`);
  });
});
