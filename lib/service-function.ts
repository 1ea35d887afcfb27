import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../functions/shared/metrics.js';
import { BUNDLING, esbuildAliasArgs } from './bundling.js';
import { DEFAULT_TIMEOUT_SECONDS, type FunctionSpec } from '../functions/shared/service-routes.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type ServiceFunctionProps = {
  spec: FunctionSpec;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  /** X-Ray active tracing (on unless `-c tracing=false`). */
  tracing?: boolean;
};

/**
 * The one way every Lambda of the service is built: Node 22 on arm64, an ESM bundle (minified; its
 * source map ships beside it but is not loaded: no `--enable-source-maps`, which costs every cold start
 * — `npm run symbolicate` reads production stacks, docs/operations.md) with the AWS SDK bundled at the version package-lock.json pins instead of whatever the runtime
 * ships, and a log group with a retention.
 */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, props.spec.entry),
      handler: 'handler',
      description: props.spec.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.spec.memoryMb ?? 512,
      timeout: Duration.seconds(props.spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
      logGroup,
      tracing: props.tracing === false ? Tracing.DISABLED : Tracing.ACTIVE,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'github-app-accounts',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_TRACE_ENABLED: String(props.tracing !== false),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLING.target,
        platform: BUNDLING.platform,
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        sourcesContent: false,
        mainFields: [...BUNDLING.mainFields],
        // Bundle the SDK (pinned by package-lock.json) instead of relying on the runtime's copy.
        bundleAwsSDK: true,
        externalModules: [],
        banner: BUNDLING.banner,
        esbuildArgs: esbuildAliasArgs(),
      },
    });
  }
}
