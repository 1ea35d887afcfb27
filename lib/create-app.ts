import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GitHubAppStack } from './github-app-stack.js';
import { readStackSettings } from './stack-settings.js';

/**
 * The CDK app as `cdk synth` builds it (bin/app.ts) and as the tests build it: the stack configured
 * from context, with cdk-nag's AwsSolutions pack checking every construct at synth.
 */
export function createApp(props: AppProps = {}): { app: App; stack: GitHubAppStack } {
  const app = new App(props);
  const settings = readStackSettings((key) => app.node.tryGetContext(key) as unknown);
  const stack = new GitHubAppStack(app, settings.stackName, {
    ...settings,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
