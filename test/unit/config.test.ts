import { parseConfig } from '../../functions/shared/config.js';
import { ConfigurationError } from '../../functions/shared/errors.js';

const valid = {
  TABLE_NAME: 'table',
  API_BASE_URL: 'https://api.example.com/',
  FRONTEND_ORIGINS: 'https://app.example.com, https://staging.example.com/',
  GITHUB_APP_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:app',
  SERVICE_KEYS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:keys',
};

describe('parseConfig', () => {
  it('reads a complete environment, normalising URLs and applying GitHub defaults', () => {
    const config = parseConfig(valid);
    expect(config).toEqual({
      tableName: 'table',
      apiBaseUrl: 'https://api.example.com',
      frontendOrigins: ['https://app.example.com', 'https://staging.example.com'],
      githubApiUrl: 'https://api.github.com',
      githubWebUrl: 'https://github.com',
      linkPolicy: 'org-owners',
      abuseLimits: {
        pendingInvitationsPerAccount: 50,
        invitationsPerUserPerHour: 20,
        accountsPerUserPerHour: 10,
        signInsPerUserPerMinute: 10,
        serviceTokensPerPrincipalPerMinute: 120,
      },
      appKeySigning: { kind: 'secret' },
      dynamodbEndpoint: undefined,
      dynamodbLimits: {},
      secrets: {
        kind: 'aws',
        reader: 'sdk',
        appSecretArn: valid.GITHUB_APP_SECRET_ARN,
        keysSecretArn: valid.SERVICE_KEYS_SECRET_ARN,
      },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the DynamoDB client limits a test run or a slow machine sets, and refuses nonsense', () => {
    expect(
      parseConfig({ ...valid, DYNAMODB_MAX_ATTEMPTS: '4', DYNAMODB_REQUEST_TIMEOUT_MS: '8000' })
        .dynamodbLimits,
    ).toEqual({ maxAttempts: 4, requestTimeoutMs: 8000 });
    for (const value of ['0', '-1', '1.5', 'soon'])
      expect(() => parseConfig({ ...valid, DYNAMODB_CONNECTION_TIMEOUT_MS: value })).toThrow(
        /DYNAMODB_CONNECTION_TIMEOUT_MS is invalid/,
      );
  });

  it('reads overridden abuse limits, keeping the defaults of the others, and refuses nonsense', () => {
    expect(
      parseConfig({ ...valid, MAX_PENDING_INVITATIONS: '5', MAX_SIGN_INS_PER_MINUTE: '3' }).abuseLimits,
    ).toEqual({
      pendingInvitationsPerAccount: 5,
      invitationsPerUserPerHour: 20,
      accountsPerUserPerHour: 10,
      signInsPerUserPerMinute: 3,
      serviceTokensPerPrincipalPerMinute: 120,
    });
    for (const value of ['0', '-2', 'many'])
      expect(() => parseConfig({ ...valid, MAX_ACCOUNTS_PER_HOUR: value })).toThrow(
        /MAX_ACCOUNTS_PER_HOUR is invalid/,
      );
  });

  it('prefers the local secrets file when one is configured', () => {
    const config = parseConfig({ ...valid, LOCAL_SECRETS_FILE: '/tmp/secrets.json' });
    expect(config.secrets).toEqual({ kind: 'file', path: '/tmp/secrets.json' });
  });

  it('names every missing setting', () => {
    const { TABLE_NAME: _table, API_BASE_URL: _api, ...rest } = valid;
    expect(() => parseConfig(rest)).toThrow(ConfigurationError);
    expect(() => parseConfig(rest)).toThrow(/TABLE_NAME is missing.*API_BASE_URL is missing/);
  });

  it('names a malformed setting without echoing secrets', () => {
    expect(() => parseConfig({ ...valid, FRONTEND_ORIGINS: 'not a url' })).toThrow(
      /FRONTEND_ORIGINS.* is invalid/,
    );
  });

  it('requires one secrets source', () => {
    const { GITHUB_APP_SECRET_ARN: _a, SERVICE_KEYS_SECRET_ARN: _k, ...rest } = valid;
    expect(() => parseConfig(rest)).toThrow(/LOCAL_SECRETS_FILE/);
  });
});
