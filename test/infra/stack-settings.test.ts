import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/create-app.js';
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

  it('reads how often the repository index is reconciled (minutes; 60 unless set)', () => {
    expect(from({ frontendOrigins: 'https://a.example' }).repositorySyncIntervalMinutes).toBeUndefined();
    expect(
      from({ frontendOrigins: 'https://a.example', repositorySyncIntervalMinutes: '15' })
        .repositorySyncIntervalMinutes,
    ).toBe(15);
    for (const repositorySyncIntervalMinutes of [0, 2.5, 'hourly', 1441])
      expect(() => from({ frontendOrigins: 'https://a.example', repositorySyncIntervalMinutes })).toThrow(
        /repositorySyncIntervalMinutes.*default 60/,
      );
  });

  it('reads who may link: org owners unless widened on purpose', () => {
    expect(from({ frontendOrigins: 'https://a.example' }).linkPolicy).toBe('org-owners');
    expect(from({ frontendOrigins: 'https://a.example', linkPolicy: 'org-members' }).linkPolicy).toBe(
      'org-members',
    );
    expect(() => from({ frontendOrigins: 'https://a.example', linkPolicy: 'anyone' })).toThrow(/linkPolicy/);
  });

  it('reads the abuse limits each -c key overrides (the others keep their defaults), and refuses nonsense', () => {
    expect(from({ frontendOrigins: 'https://a.example' }).abuseLimits).toBeUndefined();
    expect(
      from({ frontendOrigins: 'https://a.example', maxInvitationsPerHour: '5', maxSignInsPerMinute: 30 })
        .abuseLimits,
    ).toEqual({ maxInvitationsPerHour: 5, maxSignInsPerMinute: 30 });
    for (const maxPendingInvitations of [0, -1, 2.5, 'many'])
      expect(() => from({ frontendOrigins: 'https://a.example', maxPendingInvitations })).toThrow(
        /maxPendingInvitations/,
      );
  });

  it('passes overridden abuse limits to the functions as MAX_* variables, and nothing when none is set', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
      context: Record<string, unknown>;
    };
    const variables = (context: Record<string, unknown>) => {
      const { stack } = createApp({
        context: {
          ...cdkJson.context,
          'aws:cdk:bundling-stacks': [],
          frontendOrigins: ['https://app.example.com'],
          ...context,
        },
      });
      const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find(
        (resource) => JSON.stringify(resource).includes('Platform accounts, members and invitations'),
      ) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
      return fn.Properties.Environment.Variables;
    };
    expect(Object.keys(variables({})).filter((name) => name.startsWith('MAX_'))).toEqual([]);
    expect(variables({ maxAccountsPerHour: '3', maxPendingInvitations: '200' })).toMatchObject({
      MAX_ACCOUNTS_PER_HOUR: '3',
      MAX_PENDING_INVITATIONS: '200',
    });
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

describe('frontendOrigins (deploy from zero)', () => {
  it('has no default: without it, synth stops with a message naming it', () => {
    expect(() => from({})).toThrow(/"frontendOrigins" is required/);
    expect(() => from({ frontendOrigins: '' })).toThrow(/frontendOrigins/);
    expect(() => from({ frontendOrigins: [] })).toThrow(/frontendOrigins/);
  });

  it('normalizes origins to scheme, host and port: a trailing slash is dropped, duplicates merged', () => {
    expect(
      from({
        frontendOrigins: 'https://App.Example.com/, https://app.example.com:443, http://localhost:5173/',
      }).frontendOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(from({ frontendOrigins: ['https://a.example:8443/'] }).frontendOrigins).toEqual([
      'https://a.example:8443',
    ]);
  });

  it('refuses a path, query, fragment, credentials or a scheme other than http(s)', () => {
    for (const origin of [
      'https://a.example/app',
      'https://a.example/app/',
      'https://a.example/?x=1',
      'https://a.example/#top',
      'https://user@a.example',
      'ftp://a.example',
      'javascript:alert(1)',
    ])
      expect(() => from({ frontendOrigins: origin })).toThrow(/frontendOrigins/);
  });
});

describe('custom domain', () => {
  const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
  const base = { frontendOrigins: 'https://app.example.com' };

  it('domainName + certificateArn: the stack serves the API there, and it is the public base URL', () => {
    expect(from({ ...base, domainName: 'API.example.com', certificateArn: CERT })).toMatchObject({
      publicBaseUrl: 'https://api.example.com',
      customDomain: { domainName: 'api.example.com', certificateArn: CERT },
    });
    expect(from(base).customDomain).toBeUndefined();
  });

  it('adds a Route 53 record when the hosted zone is given', () => {
    expect(
      from({
        ...base,
        domainName: 'api.example.com',
        certificateArn: CERT,
        hostedZoneId: 'Z0123456789ABC',
        hostedZoneName: 'example.com.',
      }).customDomain,
    ).toEqual({
      domainName: 'api.example.com',
      certificateArn: CERT,
      hostedZone: { id: 'Z0123456789ABC', name: 'example.com' },
    });
  });

  it('publicBaseUrl stays for a domain managed outside the stack', () => {
    const settings = from({ ...base, publicBaseUrl: 'https://api.example.com' });
    expect(settings.publicBaseUrl).toBe('https://api.example.com');
    expect(settings.customDomain).toBeUndefined();
  });

  it('refuses incomplete or contradictory domain settings, naming the key', () => {
    expect(() => from({ ...base, domainName: 'api.example.com' })).toThrow(/certificateArn/);
    expect(() => from({ ...base, domainName: 'api.example.com', certificateArn: 'arn:aws:s3:::x' })).toThrow(
      /certificateArn/,
    );
    expect(() => from({ ...base, certificateArn: CERT })).toThrow(/"certificateArn" needs "domainName"/);
    expect(() => from({ ...base, domainName: 'https://api.example.com', certificateArn: CERT })).toThrow(
      /domainName/,
    );
    expect(() =>
      from({
        ...base,
        domainName: 'api.example.com',
        certificateArn: CERT,
        publicBaseUrl: 'https://x.example',
      }),
    ).toThrow(/publicBaseUrl.*domainName/);
    expect(() =>
      from({ ...base, domainName: 'api.example.com', certificateArn: CERT, hostedZoneId: 'Z0123456789ABC' }),
    ).toThrow(/hostedZoneName/);
    expect(() =>
      from({
        ...base,
        domainName: 'api.example.com',
        certificateArn: CERT,
        hostedZoneId: 'Z0123456789ABC',
        hostedZoneName: 'other.org',
      }),
    ).toThrow(/not in the hosted zone/);
  });
});

describe('custom domain on the console’s distribution (distributionCertificateArn)', () => {
  const US_EAST_1 = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
  const EU = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
  const base = { frontendOrigins: 'https://app.example.com', domainName: 'platform.example.com' };

  it('puts the domain on CloudFront: it is the public base URL, with the zone when given', () => {
    expect(from({ ...base, distributionCertificateArn: US_EAST_1 })).toMatchObject({
      publicBaseUrl: 'https://platform.example.com',
      customDomain: { domainName: 'platform.example.com', certificateArn: US_EAST_1, servedBy: 'cloudfront' },
    });
    expect(
      from({
        ...base,
        distributionCertificateArn: US_EAST_1,
        hostedZoneId: 'Z0123456789ABC',
        hostedZoneName: 'example.com',
      }).customDomain,
    ).toEqual({
      domainName: 'platform.example.com',
      certificateArn: US_EAST_1,
      servedBy: 'cloudfront',
      hostedZone: { id: 'Z0123456789ABC', name: 'example.com' },
    });
  });

  it('refuses a certificate outside us-east-1, both certificates at once, or no domainName', () => {
    expect(() => from({ ...base, distributionCertificateArn: EU })).toThrow(/us-east-1/);
    expect(() => from({ ...base, distributionCertificateArn: US_EAST_1, certificateArn: EU })).toThrow(
      /exclude each other/,
    );
    expect(() =>
      from({ frontendOrigins: 'https://app.example.com', distributionCertificateArn: US_EAST_1 }),
    ).toThrow(/"distributionCertificateArn" needs "domainName"/);
  });
});
