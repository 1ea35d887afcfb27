import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One tracer per container. It is active only in Lambda with X-Ray tracing on (the stack's default;
 * `-c tracing=false` sets POWERTOOLS_TRACE_ENABLED=false): locally and in tests it does nothing.
 * AWS SDK clients are captured where they are built (store/table.ts); `fetch` calls to GitHub are
 * traced by the tracer itself, as subsegments named after the host.
 */
export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'github-app-accounts',
});
