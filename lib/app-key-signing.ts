import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage, type CfnKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ServiceFunctionName } from '../functions/shared/service-routes.js';
import { FUNCTION_GRANTS } from './function-grants.js';
import type { ServiceFunction } from './service-function.js';

/**
 * `-c appKeySigning=kms` (docs/security.md "The App's private key in KMS"): the GitHub App's private key
 * lives in a KMS key and only KMS signs with it. Absent: the PEM is in the App secret (the default).
 */
export type AppKeySigningSettings = {
  /** `-c appKeyArn`: a KMS key made outside the stack (RSA_2048, SIGN_VERIFY); else the stack creates one. */
  keyArn?: string;
};

const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** The settings from CDK context (`appKeySigning`, `appKeyArn`); bad values stop synth naming the key. */
export function readAppKeySigning(optionalString: (key: string) => string | undefined): {
  appKeySigning?: AppKeySigningSettings;
} {
  const mode = optionalString('appKeySigning') ?? 'secret';
  const keyArn = optionalString('appKeyArn');
  if (mode !== 'secret' && mode !== 'kms')
    throw new Error(
      'CDK context "appKeySigning" must be secret (the default: the PEM in the App secret) or kms (docs/security.md)',
    );
  if (keyArn !== undefined && mode !== 'kms')
    throw new Error('CDK context "appKeyArn" needs "appKeySigning=kms"');
  if (keyArn !== undefined && !KEY_ARN.test(keyArn))
    throw new Error(
      'CDK context "appKeyArn" must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
    );
  if (mode === 'secret') return {};
  return { appKeySigning: keyArn === undefined ? {} : { keyArn } };
}

/** The App secret's fields the operator fills in: no privateKey when KMS holds the key. */
export function appSecretTemplate(settings: AppKeySigningSettings | undefined): Record<string, string> {
  const identity = { appId: '', slug: '', clientId: '', clientSecret: '' };
  return settings ? identity : { ...identity, privateKey: '' };
}

export type AppKeySigningProps = {
  settings: AppKeySigningSettings;
  functions: Readonly<Record<ServiceFunctionName, ServiceFunction>>;
};

/**
 * The App's key in KMS: an asymmetric RSA_2048 SIGN_VERIFY key of origin EXTERNAL, into which the
 * operator imports the App's PEM (`npm run import-app-key`), or the key `appKeyArn` names. Every function
 * that reads the App secret learns APP_KEY_SIGNING=kms (the secret then holds no PEM); only
 * APP_JWT_SIGNERS get APP_KEY_ID and `kms:Sign` on this key alone.
 */
export class AppKeySigning extends Construct {
  readonly keyArn: string;

  constructor(scope: Construct, id: string, props: AppKeySigningProps) {
    super(scope, id);
    if (props.settings.keyArn !== undefined) {
      this.keyArn = props.settings.keyArn;
    } else {
      const key = new Key(this, 'AppKey', {
        description: 'GitHub App private key (imported by npm run import-app-key): signs App JWTs',
        keySpec: KeySpec.RSA_2048,
        keyUsage: KeyUsage.SIGN_VERIFY,
        // The App's identity: a recreated stack must not lose it (the operator would re-import).
        removalPolicy: RemovalPolicy.RETAIN,
      });
      // The L2 construct has no `origin`: EXTERNAL means KMS waits for imported key material.
      (key.node.defaultChild as CfnKey).origin = 'EXTERNAL';
      this.keyArn = key.keyArn;
    }
    for (const [name, fn] of Object.entries(props.functions) as Array<
      [ServiceFunctionName, ServiceFunction]
    >) {
      const grants = FUNCTION_GRANTS[name];
      if (grants.secrets.includes('githubApp')) fn.fn.addEnvironment('APP_KEY_SIGNING', 'kms');
      if (!grants.appKeySign) continue;
      fn.fn.addEnvironment('APP_KEY_ID', this.keyArn);
      fn.fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:Sign'], resources: [this.keyArn] }));
    }
    new CfnOutput(scope, 'AppKeyArn', {
      value: this.keyArn,
      description: 'KMS key holding the GitHub App private key: npm run import-app-key imports the PEM',
    });
  }
}
