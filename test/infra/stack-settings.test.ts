import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { readStackSettings } from '../../lib/stack-settings.js';

const from = (context: Record<string, unknown>) => readStackSettings((key) => context[key]);

describe('readStackSettings', () => {
  it('reads cdk.json lists and -c comma strings alike', () => {
    expect(from({ frontendOrigins: ['https://a.example'] }).frontendOrigins).toEqual(['https://a.example']);
    expect(from({ frontendOrigins: 'https://a.example, https://b.example' })).toMatchObject({
      stackName: 'GitHubAppAccounts',
      frontendOrigins: ['https://a.example', 'https://b.example'],
    });
  });

  it('reads optional settings and a valid retention', () => {
    expect(
      from({
        frontendOrigins: 'https://a.example',
        stackName: 'Staging',
        publicBaseUrl: 'https://api.example',
        logRetentionDays: 90,
      }),
    ).toMatchObject({
      stackName: 'Staging',
      publicBaseUrl: 'https://api.example',
      logRetentionDays: RetentionDays.THREE_MONTHS,
    });
  });

  it('reads how often failed webhook deliveries are redelivered (minutes; 10 unless set)', () => {
    expect(from({ frontendOrigins: 'https://a.example' }).redeliveryIntervalMinutes).toBeUndefined();
    expect(
      from({ frontendOrigins: 'https://a.example', redeliveryIntervalMinutes: '5' })
        .redeliveryIntervalMinutes,
    ).toBe(5);
  });

  it('reads who may link: org owners unless widened on purpose', () => {
    expect(from({ frontendOrigins: 'https://a.example' }).linkPolicy).toBe('org-owners');
    expect(from({ frontendOrigins: 'https://a.example', linkPolicy: 'org-members' }).linkPolicy).toBe(
      'org-members',
    );
    expect(() => from({ frontendOrigins: 'https://a.example', linkPolicy: 'anyone' })).toThrow(/linkPolicy/);
  });

  it('names the bad setting', () => {
    expect(() => from({})).toThrow(/frontendOrigins/);
    expect(() => from({ frontendOrigins: 'not a url' })).toThrow(/frontendOrigins.*not a URL/);
    expect(() => from({ frontendOrigins: 'https://a.example/path' })).toThrow(/origin/);
    expect(() => from({ frontendOrigins: 'https://a.example', logRetentionDays: 42 })).toThrow(
      /logRetentionDays/,
    );
    for (const redeliveryIntervalMinutes of [0, 2.5, 'soon', 1441])
      expect(() => from({ frontendOrigins: 'https://a.example', redeliveryIntervalMinutes })).toThrow(
        /redeliveryIntervalMinutes/,
      );
  });

  it('reads the secrets to adopt (ARN or name) and refuses anything else', () => {
    expect(
      from({
        frontendOrigins: 'https://a.example',
        existingAppSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf',
        existingServiceKeysSecret: 'service/keys',
      }).existingSecrets,
    ).toEqual({
      app: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf',
      serviceKeys: 'service/keys',
    });
    expect(from({ frontendOrigins: 'https://a.example' }).existingSecrets).toEqual({});
    expect(() =>
      from({ frontendOrigins: 'https://a.example', existingWebhookSecret: 'arn:aws:s3:::x' }),
    ).toThrow(/existingWebhookSecret/);
    expect(() => from({ frontendOrigins: 'https://a.example', existingAppSecret: 'bad name!' })).toThrow(
      /existingAppSecret/,
    );
  });
});
