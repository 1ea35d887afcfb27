import { Logger } from '@aws-lambda-powertools/logger';
import { redactingReplacer } from './redact.js';

/**
 * One logger per container. Every line passes through the redacting replacer, so a token that reaches
 * a log call by mistake is still never written.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'github-app-accounts',
  jsonReplacerFn: redactingReplacer,
});
