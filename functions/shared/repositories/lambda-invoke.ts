import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

let client: LambdaClient | undefined;

/**
 * An asynchronous invocation (InvocationType Event): Lambda accepts the event (202) and runs the
 * function later, retrying it on failure, so the caller never waits for the work. Bounded like the
 * DynamoDB client: a Lambda API that does not answer costs the caller seconds, not its timeout.
 */
export async function invokeAsync(functionName: string, payload: unknown): Promise<void> {
  client ??= new LambdaClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
  });
  await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
}
