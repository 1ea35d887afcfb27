import type { Acknowledgment } from 'aws-cdk-lib';

/** The cdk-nag findings every Lambda function of the stack carries, accepted with the reason. */
export const LAMBDA_FINDINGS: readonly Acknowledgment[] = [
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'AWSLambdaBasicExecutionRole only allows writing the function’s own CloudWatch logs: the least a Lambda needs.',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so the statement CDK adds names "*".',
  },
  {
    id: 'AwsSolutions-L1',
    reason:
      'nodejs22.x is the runtime the project targets (docs/deploy.md); moving to a newer runtime is a tested, deliberate change.',
  },
];
