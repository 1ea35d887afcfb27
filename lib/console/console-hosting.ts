import {
  AssetHashType,
  CfnOutput,
  DockerImage,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { AaaaRecord, ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import type { CustomDomainSettings } from '../api-domain.js';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AccessLevel,
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
  type BehaviorOptions,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  type CfnBucket,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildConsoleSync, CONSOLE_DIR } from './build.js';
import {
  CACHE_CONTROL,
  CONSOLE_PREFIX,
  consoleContentSecurityPolicy,
  VIEWER_REQUEST_FILE,
} from './hosting.js';

export type ConsoleHostingProps = {
  api: HttpApi;
  /** The custom domain on this distribution (`-c distributionCertificateArn`, a us-east-1 certificate). */
  domain?: CustomDomainSettings;
};

/**
 * One CloudFront distribution for the console and the API, so the console's requests and the session
 * cookie are first-party (docs/console.md): `/console` and `/console/*` from a private S3 bucket
 * (Origin Access Control), everything else to the HTTP API, uncached, with every viewer header, cookie
 * and query string but Host. The deep-link fallback is a CloudFront Function on the console's
 * behaviours only: distribution-wide custom error responses would turn the API's own 403/404 JSON
 * into the console's index.html.
 */
export class ConsoleHosting extends Construct {
  readonly distribution: Distribution;
  readonly bucket: Bucket;
  /** `https://<distribution domain>`: the console's origin, and the API's in the default deploy. */
  readonly origin: string;
  private readonly hasOwnDomain: boolean;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    // Kept with the stack's other data when it is deleted (a recreated stack makes new buckets).
    const logs = new Bucket(this, 'Logs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront's standard logs are written with an ACL.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'console-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const viewerRequest = new CloudFrontFunction(this, 'ViewerRequest', {
      code: FunctionCode.fromFile({ filePath: VIEWER_REQUEST_FILE }),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Console: deep links to index.html, /console to /console/, 405 for writes',
    });
    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'The console: CSP, HSTS, nosniff, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy(), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.SAME_ORIGIN, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    const consoleBehavior: BehaviorOptions = {
      // LIST lets S3 answer a missing asset 404 (without it, 403); nothing reaches the bucket's root.
      origin: S3BucketOrigin.withOriginAccessControl(this.bucket, {
        originAccessLevels: [AccessLevel.READ, AccessLevel.LIST],
      }),
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      // All methods reach the function, which answers 405 to a write, as npm start does.
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_OPTIMIZED,
      compress: true,
      functionAssociations: [{ function: viewerRequest, eventType: FunctionEventType.VIEWER_REQUEST }],
      responseHeadersPolicy: headers,
    };

    // The HTTP API's host name out of its endpoint URL (https://<id>.execute-api.<region>.<suffix>).
    const apiHost = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    const domain = props.domain;
    this.hasOwnDomain = domain !== undefined;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'GitHub App accounts: the console (/console/*) and the API on one origin',
      ...(domain
        ? {
            domainNames: [domain.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: new HttpOrigin(apiHost, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        }),
        // A redirected POST would lose its body: the API is HTTPS only.
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // Cookies, Origin (the CSRF check), query strings, webhook signatures; Host is the API's own.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      additionalBehaviors: {
        [CONSOLE_PREFIX]: consoleBehavior,
        [`${CONSOLE_PREFIX}/*`]: consoleBehavior,
      },
    });
    this.origin = `https://${domain?.domainName ?? this.distribution.distributionDomainName}`;
    if (domain?.hostedZone) {
      const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: domain.hostedZone.id,
        zoneName: domain.hostedZone.name,
      });
      const target = RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
      new ARecord(this, 'Record', { zone, recordName: domain.domainName, target });
      new AaaaRecord(this, 'RecordIpv6', { zone, recordName: domain.domainName, target });
    } else if (domain) {
      new CfnOutput(Stack.of(this), 'CustomDomainTarget', {
        value: this.distribution.distributionDomainName,
        description: `Point ${domain.domainName} here (CNAME, or an alias record) in your DNS`,
      });
    }

    // Built by Vite at synth (the same build npm start serves); Docker only if the local build is refused.
    const build = Source.asset(CONSOLE_DIR, {
      exclude: ['dist', 'node_modules', 'src/api/schema.d.ts'],
      // Hashed by what Vite wrote, not by console/: a new Preact or Vite changes the build, not the source.
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
        command: ['sh', '-c', 'echo "The console is built locally (npm ci first)"; exit 1'],
        local: {
          tryBundle(outputDir: string): boolean {
            buildConsoleSync(outputDir);
            return true;
          },
        },
      },
    });
    // Assets first, immutable and never pruned (a page still open may load an older chunk); then
    // index.html, revalidated on every load and invalidated at the edge.
    const assets = new BucketDeployment(this, 'DeployAssets', {
      sources: [build],
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'console/',
      exclude: ['index.html'],
      prune: false,
      cacheControl: [CacheControl.fromString(CACHE_CONTROL.asset)],
    });
    const index = new BucketDeployment(this, 'DeployIndex', {
      sources: [build],
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'console/',
      exclude: ['*'],
      include: ['index.html'],
      prune: false,
      cacheControl: [CacheControl.fromString(CACHE_CONTROL.index)],
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PREFIX}/index.html`],
    });
    index.node.addDependency(assets);
  }

  /** The wildcards of the BucketDeployment handler's policy, as cdk-nag names them. */
  private deploymentWildcards(): string[] {
    const stack = Stack.of(this);
    const bucket = stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    const known = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
    const assets = `arn:${known(stack.partition, 'Partition')}:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-${known(stack.region, 'Region')}/*`;
    return [
      ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map(
        (a) => `Action::${a}`,
      ),
      'Resource::*',
      `Resource::<${bucket}.Arn>/*`,
      `Resource::${assets}`,
    ];
  }

  /** The cdk-nag findings accepted for the console's resources, each with its reason. */
  acknowledgeFindings(): void {
    // With its own domain and certificate the distribution requires TLS 1.2 (no finding then).
    if (!this.hasOwnDomain)
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate: CloudFront then allows TLSv1 at the viewer and no minimum can be set; a custom domain with its own certificate (-c distributionCertificateArn) raises it to TLS 1.2 (docs/console.md).',
      });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The service has no geographic restriction: its users are wherever GitHub’s are.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF web ACL by default (a per-request cost the operator chooses); the API throttles per route at API Gateway and authenticates every call itself.',
      },
    );
    // Only /console and /console/* reach the bucket, and the function sends /console/ to index.html:
    // the bucket's listing (which LIST would allow at its root) is never requested.
    Validations.of(this.distribution).acknowledge({
      id: 'Annotation::@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk',
      reason:
        'The S3 origin serves only /console and /console/* (never the default behaviour), and the viewer-request function rewrites /console/ to index.html, so the bucket root listing is unreachable; LIST makes a missing asset a 404 instead of 403.',
    });
    const logs = this.node.findChild('Logs');
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the access logs; logging it into itself would loop.',
    });
    // The BucketDeployments' handler function (a singleton CDK provides).
    for (const child of this.node.scope?.node.children ?? []) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      Validations.of(child).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            'CDK’s BucketDeployment handler: AWSLambdaBasicExecutionRole only allows writing its own CloudWatch logs.',
        },
        ...this.deploymentWildcards().map((id) => ({
          id: `AwsSolutions-IAM5[${id}]`,
          reason:
            'CDK’s BucketDeployment handler copies the console build from the CDK asset bucket into the console bucket and invalidates index.html: object-level wildcards on those two buckets, and cloudfront:CreateInvalidation (no resource-level permission), as BucketDeployment grants them.',
        })),
        {
          id: 'AwsSolutions-L1',
          reason: 'CDK’s BucketDeployment handler runs on the runtime aws-cdk-lib pins for it.',
        },
      );
    }
  }
}
