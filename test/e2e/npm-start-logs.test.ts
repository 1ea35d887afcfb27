import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NPM_START_TIMEOUT_MS, startNpmStart, stopNpmStart } from '../support/npm-start.js';

const start = (env: Record<string, string>) =>
  startNpmStart({ dataDir: mkdtempSync(join(tmpdir(), 'npm-start-logs-')), env });

/** Waits until the output has a line matching, or fails with the output. */
async function lineMatching(output: () => string, pattern: RegExp): Promise<string> {
  for (let tries = 0; tries < 50; tries += 1) {
    const line = output()
      .split('\n')
      .find((candidate) => pattern.test(candidate));
    if (line !== undefined) return line;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no line matching ${String(pattern)} in:\n${output()}`);
}

describe('npm start logs', () => {
  it(
    'print one readable line per request and, at LOG_LEVEL=debug, why a request was rejected',
    async () => {
      const started = await start({ LOG_LEVEL: 'debug' });
      try {
        const answer = await fetch(`${started.apiUrl}/me`);
        expect(answer.status).toBe(401);
        const id = answer.headers.get('x-request-id') ?? 'none';
        expect(
          await lineMatching(started.output, new RegExp(`^GET /me → 401 \\(\\d+ ms\\) ${id}$`)),
        ).toBeDefined();
        const reason = await lineMatching(started.output, /DEBUG \[session\] Rejection reason/);
        expect(reason).toContain(`requestId=${id}`);
        expect(reason).toContain('routeKey=GET /me');
        expect(reason).toContain('code=unauthenticated');
        // Readable only: no raw JSON lines from the handlers in the text format.
        expect(started.output()).not.toMatch(/^\{"level"/m);
      } finally {
        await stopNpmStart(started);
      }
    },
    NPM_START_TIMEOUT_MS,
  );

  it(
    'print the handlers’ raw JSON lines, as Lambda would, with LOG_FORMAT=json',
    async () => {
      const started = await start({ LOG_FORMAT: 'json', LOG_LEVEL: 'info' });
      try {
        const answer = await fetch(`${started.apiUrl}/me`);
        const id = answer.headers.get('x-request-id') ?? 'none';
        await lineMatching(started.output, new RegExp(`^GET /me → 401 \\(\\d+ ms\\) ${id}$`));
        const raw = await lineMatching(started.output, new RegExp(`^\\{.*"requestId":"${id}"`));
        expect(JSON.parse(raw)).toMatchObject({
          level: 'INFO',
          message: 'Request rejected',
          requestId: id,
          routeKey: 'GET /me',
          function_name: 'session',
        });
        // INFO hides the reasons.
        expect(started.output()).not.toContain('Rejection reason');
      } finally {
        await stopNpmStart(started);
      }
    },
    NPM_START_TIMEOUT_MS,
  );
});
