/**
 * The GitHub emulator against the clients the service uses (octokit), one emulator for the whole file:
 * each area's tests live in test/integration/github-emulator/ and run here, in this order, on the world
 * test/support/emulator-suite.ts seeds, so the last test below sees every answer they recorded.
 */
import { openApiTemplate } from '../../local/github-emulator/http.js';
import { fx, useEmulatorSuite } from '../support/emulator-suite.js';
import { GitHubOpenApi } from '../support/openapi-validator.js';
import './github-emulator/app-auth-and-tokens.js';
import './github-emulator/oauth.js';
import './github-emulator/users.js';
import './github-emulator/repositories.js';
import './github-emulator/webhooks.js';
import './github-emulator/faults.js';
import './github-emulator/git-data.js';
import './github-emulator/templates.js';
import './github-emulator/repository-settings.js';
import './github-emulator/app-manifest-and-installation-repositories.js';

useEmulatorSuite();

describe('every emulated response validates against GitHub’s OpenAPI description', () => {
  it('checks each recorded answer of this suite and covers every emulated REST operation', () => {
    const openapi = new GitHubOpenApi();
    const restRoutes = fx.emulator.routes.filter((route) => route.kind === 'rest');
    const problems: string[] = [];
    const covered = new Set<string>();
    for (const call of fx.emulator.state.calls) {
      if (call.status === 0 || call.fault !== undefined || !openapi.hasOperation(call.method, call.route))
        continue;
      const errors = openapi.validate(call.method, call.route, call.status, call.body);
      if (errors === undefined) continue;
      if (errors.length)
        problems.push(`${call.method} ${call.route} ${call.status}: ${errors.slice(0, 5).join('; ')}`);
      else if (call.status < 300) covered.add(`${call.method} ${call.route}`);
    }
    expect([...new Set(problems)]).toEqual([]);
    // The check itself can fail: a body missing GitHub's required fields is reported.
    expect(
      openapi.validate('GET', '/app/installations/{installation_id}', 200, { id: 1 })?.length,
    ).toBeGreaterThan(0);
    const operations = restRoutes.map((route) => `${route.method} ${openApiTemplate(route.template)}`);
    expect(
      operations.filter(
        (operation) => !openapi.hasOperation(operation.split(' ')[0] ?? '', operation.split(' ')[1] ?? ''),
      ),
    ).toEqual([]);
    // Bodiless answers (204) are covered by their status alone.
    const bodiless = new Set([
      'DELETE /applications/{client_id}/token',
      'DELETE /applications/{client_id}/grant',
      'DELETE /repos/{owner}/{repo}',
      'DELETE /installation/token',
    ]);
    expect(operations.filter((operation) => !covered.has(operation) && !bodiless.has(operation))).toEqual([]);
  });
});
