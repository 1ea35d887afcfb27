// The benchmark's anchor: the smallest Probot app that answers GitHub's installation events on Lambda.
// It verifies the signature (Probot does, with WEBHOOK_SECRET) and does nothing external.
import { createLambdaFunction } from '@probot/adapter-aws-lambda-serverless';
import { createProbot } from 'probot';

const app = (probot) => {
  probot.on('installation', async (context) => {
    context.log.info({ installation: context.payload.installation.id }, 'installation event');
  });
};

export const handler = createLambdaFunction(app, { probot: createProbot() });
