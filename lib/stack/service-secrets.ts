import { RemovalPolicy, SecretValue, Validations, type Stack } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { SecretName } from '../function-grants.js';
import type { FunctionSpec } from '../../functions/shared/service-routes.js';
import { appSecretTemplate, type AppKeySigningSettings } from '../app-key-signing.js';

export type ExistingSecrets = { app?: string; webhook?: string; serviceKeys?: string };

/** A secret adopted by complete ARN (with its 6-character suffix), partial ARN or name. */
function adoptSecret(scope: Construct, id: string, ref: string): ISecret {
  if (!ref.startsWith('arn:')) return Secret.fromSecretNameV2(scope, id, ref);
  return /-[A-Za-z0-9]{6}$/.test(ref)
    ? Secret.fromSecretCompleteArn(scope, id, ref)
    : Secret.fromSecretPartialArn(scope, id, ref);
}

/**
 * The stack's three secrets: the App's credentials, the webhook secret and the service's key material.
 * A part of GitHubAppStack, created in the stack's own scope so their logical IDs stay the ones
 * deployed stacks have (docs/architecture.md "The stack's parts").
 *
 * The secrets outlive the stack like the table (RETAIN): the table's tokens are sealed with the key
 * material and its sessions hashed with it, so a recreated stack that adopts the retained secrets
 * (`-c existingAppSecret=… existingWebhookSecret=… existingServiceKeysSecret=…`) reads them all.
 */
export class ServiceSecrets {
  readonly githubApp: ISecret;
  readonly webhook: ISecret;
  readonly serviceKeys: ISecret;

  constructor(stack: Stack, existing: ExistingSecrets = {}, appKeySigning?: AppKeySigningSettings) {
    // The operator fills in the App's credentials after deploy (docs/deploy.md "5. Fill the secrets").
    // Its generation settings must never change: CloudFormation would generate a new value and wipe the
    // credentials an operator filled in. Its generated `webhookSecret` only seeds the webhook secret below.
    const appSecret = existing.app
      ? adoptSecret(stack, 'GitHubAppSecret', existing.app)
      : new Secret(stack, 'GitHubAppSecret', {
          // With the key in KMS (lib/app-key-signing.ts) the template has no privateKey.
          description: `GitHub App credentials: ${Object.keys(appSecretTemplate(appKeySigning)).join(', ')}, webhookSecret`,
          generateSecretString: {
            secretStringTemplate: JSON.stringify(appSecretTemplate(appKeySigning)),
            generateStringKey: 'webhookSecret',
            passwordLength: 40,
            excludePunctuation: true,
          },
          removalPolicy: RemovalPolicy.RETAIN,
        });
    // Apart from the App secret so the public webhook function can read it and nothing else of the App.
    // Created (once) with the App secret's `webhookSecret` through a CloudFormation dynamic reference: on a
    // new stack that is the generated value, and a stack upgraded from the single App secret keeps the
    // value GitHub already signs with, so no delivery is refused. Later changes are made here only
    // (docs/deploy.md "5. Fill the secrets"); `previousWebhookSecret` is added while rotating.
    this.webhook = existing.webhook
      ? adoptSecret(stack, 'WebhookSecret', existing.webhook)
      : new Secret(stack, 'WebhookSecret', {
          description: 'GitHub App webhook secret: webhookSecret (and previousWebhookSecret while rotating)',
          secretObjectValue: {
            webhookSecret: SecretValue.secretsManager(existing.app ?? appSecret.secretArn, {
              jsonField: 'webhookSecret',
            }),
          },
          removalPolicy: RemovalPolicy.RETAIN,
        });
    this.githubApp = appSecret;
    this.serviceKeys = existing.serviceKeys
      ? adoptSecret(stack, 'ServiceKeysSecret', existing.serviceKeys)
      : new Secret(stack, 'ServiceKeysSecret', {
          description: 'Key material for token encryption and session hashing (generated; never leaves AWS)',
          generateSecretString: {
            secretStringTemplate: '{}',
            generateStringKey: 'keyMaterial',
            passwordLength: 64,
            excludePunctuation: true,
          },
          removalPolicy: RemovalPolicy.RETAIN,
        });
  }

  /** The secrets by the names function grants use (lib/function-grants.ts). */
  get byName(): Readonly<Record<SecretName, ISecret>> {
    return { githubApp: this.githubApp, webhook: this.webhook, serviceKeys: this.serviceKeys };
  }

  /** The environment variables naming the secrets a function may read. */
  environmentFor(spec: FunctionSpec): Record<string, string> {
    const environment: Record<string, string> = {};
    if (spec.access.githubAppSecret) environment.GITHUB_APP_SECRET_ARN = this.githubApp.secretArn;
    if (spec.access.webhookSecret) environment.WEBHOOK_SECRET_ARN = this.webhook.secretArn;
    if (spec.access.serviceKeys) environment.SERVICE_KEYS_SECRET_ARN = this.serviceKeys.secretArn;
    return environment;
  }

  /** The cdk-nag finding accepted for the secrets the stack creates (adopted ones are not its own). */
  acknowledgeFindings(): void {
    for (const secret of Object.values(this.byName).filter((candidate) => candidate instanceof Secret)) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The App credentials and webhook secret are set at GitHub and rotated there by the operator (the webhook secret with previousWebhookSecret during the switch); the key material is read through HKDF and rotated by putting a new secret version. No rotation Lambda can change a GitHub App setting.',
      });
    }
  }
}
