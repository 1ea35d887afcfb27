import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readStackSettings } from '../lib/stack-settings.js';
import { GitHubAppStack } from '../lib/github-app-stack.js';

const app = new App();
const settings = readStackSettings((key) => app.node.tryGetContext(key) as unknown);

new GitHubAppStack(app, settings.stackName, {
  ...settings,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag's AwsSolutions pack: synth fails on any unsuppressed error.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
