import { CfnOutput } from 'aws-cdk-lib';
import { ApiMapping, DomainName, type HttpApi, type IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

/** `-c domainName=… -c certificateArn=…`, and optionally the Route 53 zone to add its record to. */
export type CustomDomainSettings = {
  domainName: string;
  certificateArn: string;
  hostedZone?: { id: string; name: string };
  /**
   * 'cloudfront' (`-c distributionCertificateArn`): the domain is the console's distribution, which
   * serves the console and the API on it (docs/console.md); otherwise API Gateway's own domain.
   */
  servedBy?: 'cloudfront';
};

/**
 * The API on a custom domain (docs/deploy.md "Frontend integration: sign-in and the custom domain"). With the frontend on a sibling host of the same
 * site (api.example.com and app.example.com), the session cookie is first-party to the frontend's
 * `fetch(…, { credentials: 'include' })`; on the bare execute-api domain it never is.
 */
export class ApiDomain extends Construct {
  readonly domainName: DomainName;

  constructor(
    scope: Construct,
    id: string,
    props: CustomDomainSettings & { api: HttpApi; stage: IHttpStage },
  ) {
    super(scope, id);
    this.domainName = new DomainName(this, 'DomainName', {
      domainName: props.domainName,
      // Regional endpoint: the certificate must be in the stack's region.
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
    });
    new ApiMapping(this, 'Mapping', { api: props.api, domainName: this.domainName, stage: props.stage });
    if (props.hostedZone) {
      const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: props.hostedZone.id,
        zoneName: props.hostedZone.name,
      });
      new ARecord(this, 'Record', {
        zone,
        recordName: props.domainName,
        target: RecordTarget.fromAlias(
          new ApiGatewayv2DomainProperties(
            this.domainName.regionalDomainName,
            this.domainName.regionalHostedZoneId,
          ),
        ),
      });
    } else {
      new CfnOutput(scope, 'CustomDomainTarget', {
        value: this.domainName.regionalDomainName,
        description: `Point ${props.domainName} here (CNAME, or an alias record) in your DNS`,
      });
    }
  }
}
