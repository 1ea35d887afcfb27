import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/create-app.js';
import { loadViewerRequest, VIEWER_REQUEST_FILE } from '../../lib/console/hosting.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
// Skip bundling (esbuild and the console's Vite build): these tests are about the template.
const context = {
  ...cdkJson.context,
  'aws:cdk:bundling-stacks': [],
  frontendOrigins: 'https://app.example.com',
};
const { app, stack } = createApp({ context });
const template = Template.fromStack(stack);

// CloudFront's managed policies (their IDs are fixed by AWS).
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'];

type Behavior = Record<string, unknown> & { TargetOriginId: string; PathPattern?: string };
type DistributionConfig = {
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: Array<Record<string, unknown> & { Id: string }>;
  CustomErrorResponses?: unknown;
  Logging?: unknown;
};

const distributions = Object.values(template.findResources('AWS::CloudFront::Distribution'));
const config = (distributions[0]?.Properties as { DistributionConfig: DistributionConfig })
  .DistributionConfig;
const originOf = (behavior: Behavior) =>
  config.Origins.find((origin) => origin.Id === behavior.TargetOriginId);
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe('console hosting: one CloudFront distribution for the console and the API', () => {
  it('has exactly one distribution, with no custom error responses (they would mask the API’s 403/404)', () => {
    expect(distributions).toHaveLength(1);
    expect(config.CustomErrorResponses).toBeUndefined();
    expect(config.Logging).toBeDefined();
  });

  it('sends everything but the console to the HTTP API: all methods, uncached, all viewer headers but Host', () => {
    const api = config.DefaultCacheBehavior;
    expect(api).toMatchObject({
      AllowedMethods: ALL_METHODS,
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: 'https-only',
    });
    expect(api.FunctionAssociations).toBeUndefined();
    const origin = originOf(api);
    expect(origin).toMatchObject({
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
    // The host name out of the HTTP API's own endpoint.
    expect(JSON.stringify(origin?.DomainName)).toContain(logicalId(stack.api));
  });

  it('serves /console and /console/* from the private bucket through Origin Access Control', () => {
    expect(config.CacheBehaviors.map((behavior) => behavior.PathPattern).sort()).toEqual([
      '/console',
      '/console/*',
    ]);
    const functionId = logicalId(stack.console.node.findChild('ViewerRequest'));
    for (const behavior of config.CacheBehaviors) {
      expect(behavior).toMatchObject({
        CachePolicyId: CACHING_OPTIMIZED,
        ViewerProtocolPolicy: 'redirect-to-https',
        Compress: true,
        FunctionAssociations: [
          { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
        ],
        ResponseHeadersPolicyId: { Ref: logicalId(stack.console.node.findChild('SecurityHeaders')) },
      });
      const origin = originOf(behavior);
      expect(origin?.DomainName).toEqual({
        'Fn::GetAtt': [logicalId(stack.console.bucket), 'RegionalDomainName'],
      });
      expect(origin).toMatchObject({ S3OriginConfig: { OriginAccessIdentity: '' } });
      expect(JSON.stringify(origin?.OriginAccessControlId)).toContain('OriginAccessControl');
    }
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      }),
    });
  });

  it('keeps the bucket private: no public access, TLS only, read (and list, for 404s) by this distribution only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'console-bucket/' }),
    });
    const policy = JSON.stringify(
      Object.values(template.findResources('AWS::S3::BucketPolicy')).find((candidate) =>
        JSON.stringify(candidate).includes(logicalId(stack.console.bucket)),
      ),
    );
    expect(policy).toContain('"Service":"cloudfront.amazonaws.com"');
    expect(policy).toContain('"s3:GetObject"');
    expect(policy).toContain('"s3:ListBucket"');
    expect(policy).toContain('"AWS:SourceArn"');
    expect(policy).toContain(logicalId(stack.console.distribution));
    expect(policy).toContain('"aws:SecureTransport":"false"');
  });

  it('runs the viewer-request function from its file on cloudfront-js-2.0', () => {
    template.resourceCountIs('AWS::CloudFront::Function', 1);
    template.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: readFileSync(VIEWER_REQUEST_FILE, 'utf8'),
      FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }),
    });
  });

  it('the function: deep links to index.html, /console to /console/, assets untouched, writes refused', () => {
    const handler = loadViewerRequest();
    const run = (uri: string, method = 'GET') => handler({ request: { uri, method } });
    expect(run('/console')).toMatchObject({ statusCode: 301, headers: { location: { value: '/console/' } } });
    for (const uri of [
      '/console/',
      '/console/accounts/a/members',
      '/console/accounts/a/repositories/o/r/README.md',
    ])
      expect(run(uri)).toEqual({ uri: '/console/index.html', method: 'GET' });
    for (const uri of ['/console/assets/index-abc.js', '/console/favicon.ico', '/console/index.html'])
      expect(run(uri, 'HEAD')).toEqual({ uri, method: 'HEAD' });
    expect(run('/console/', 'POST')).toMatchObject({
      statusCode: 405,
      headers: { allow: { value: 'GET, HEAD' } },
    });
  });

  it('sends the console security headers', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy: Match.stringLikeRegexp("script-src 'self'.*frame-ancestors 'none'"),
            Override: true,
          },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 63072000, Override: true }),
        }),
      }),
    });
  });

  it('uploads the build under console/: assets immutable first, then index.html (no-cache) with its invalidation', () => {
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment')).map(
      (resource) => resource as { Properties: Record<string, unknown>; DependsOn?: string[] },
    );
    expect(deployments).toHaveLength(2);
    const assets = deployments.find((d) => JSON.stringify(d.Properties.Exclude) === '["index.html"]');
    const index = deployments.find((d) => JSON.stringify(d.Properties.Include) === '["index.html"]');
    expect(assets?.Properties).toMatchObject({
      DestinationBucketKeyPrefix: 'console/',
      Prune: false,
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect(assets?.Properties.DistributionPaths).toBeUndefined();
    expect(index?.Properties).toMatchObject({
      DestinationBucketKeyPrefix: 'console/',
      Exclude: ['*'],
      SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionPaths: ['/console/index.html'],
    });
    expect(JSON.stringify(index?.Properties.DistributionId)).toContain(logicalId(stack.console.distribution));
    expect(index?.DependsOn?.some((id) => id.startsWith('ConsoleDeployAssets'))).toBe(true);
  });

  it('outputs the console URL on the distribution, which is the API’s base URL too by default', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const domain = { 'Fn::GetAtt': [logicalId(stack.console.distribution), 'DomainName'] };
    expect(outputs.ConsoleUrl?.Value).toEqual({ 'Fn::Join': ['', ['https://', domain, '/console/']] });
    expect(outputs.ApiUrl?.Value).toEqual({ 'Fn::Join': ['', ['https://', domain]] });
    expect(outputs.OAuthCallbackUrl?.Value).toEqual({
      'Fn::Join': ['', ['https://', domain, '/auth/callback']],
    });
  });

  it('passes cdk-nag with only the acknowledged findings', () => {
    expect(() => app.synth()).not.toThrow();
  });
});

describe('console hosting on a custom domain (-c domainName -c distributionCertificateArn)', () => {
  const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
  const built = createApp({
    context: {
      ...context,
      domainName: 'platform.example.com',
      distributionCertificateArn: CERT,
      hostedZoneId: 'Z0123456789ABC',
      hostedZoneName: 'example.com',
    },
  });
  const t = Template.fromStack(built.stack);

  it('serves the domain from the distribution (TLS 1.2), not from an API Gateway domain', () => {
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['platform.example.com'],
        ViewerCertificate: Match.objectLike({
          AcmCertificateArn: CERT,
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        }),
      }),
    });
    t.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 0);
    t.resourceCountIs('AWS::Route53::RecordSet', 2);
    for (const type of ['A', 'AAAA'])
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'platform.example.com.',
        Type: type,
        HostedZoneId: 'Z0123456789ABC',
        AliasTarget: Match.objectLike({
          DNSName: {
            'Fn::GetAtt': [
              built.stack.getLogicalId(built.stack.console.distribution.node.defaultChild as never),
              'DomainName',
            ],
          },
        }),
      });
  });

  it('puts the console and the API on the domain: URLs, API_BASE_URL and the first frontend origin', () => {
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ConsoleUrl?.Value).toBe('https://platform.example.com/console/');
    expect(outputs.ApiUrl?.Value).toBe('https://platform.example.com');
    expect(outputs.OAuthCallbackUrl?.Value).toBe('https://platform.example.com/auth/callback');
    const session = t.toJSON().Resources[
      built.stack.getLogicalId(built.stack.functions.session.fn.node.defaultChild as never)
    ] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(session.Properties.Environment.Variables).toMatchObject({
      API_BASE_URL: 'https://platform.example.com',
      FRONTEND_ORIGINS: 'https://platform.example.com,https://app.example.com',
    });
  });

  it('passes cdk-nag (no TLS finding left to acknowledge)', () => {
    expect(() => built.app.synth()).not.toThrow();
  });
});
