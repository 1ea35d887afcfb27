/**
 * docs/local-walkthrough.md, run as a new user runs it: its shell blocks, as written, against `npm start`
 * (only the ports differ: 3000 and 3001 become the ones this run was given). What the doc says each
 * step answers is checked against what it answered.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NPM_START_TIMEOUT_MS, startNpmStart, stopNpmStart, type NpmStart } from '../support/npm-start.js';

const run = promisify(execFile);
const doc = readFileSync(new URL('../../docs/local-walkthrough.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

let stack: NpmStart;
const dataDir = mkdtempSync(join(tmpdir(), 'walkthrough-'));
beforeAll(async () => {
  stack = await startNpmStart({ dataDir });
}, NPM_START_TIMEOUT_MS);
afterAll(async () => {
  if (stack) await stopNpmStart(stack);
  rmSync(dataDir, { recursive: true, force: true });
});

/** The doc's script with this run's ports. */
function script(text: string): string {
  return text
    .replaceAll('http://localhost:3000', stack.apiUrl)
    .replaceAll('http://localhost:3001', stack.emulatorUrl);
}

/** Each answer on its own line (curl prints none after a body); `$(…)` drops the extra newline. */
const CURL_NEWLINE = 'curl() { command curl "$@"; echo; }';

it('has the two shell walkthroughs it is about', () => {
  expect(blocks).toHaveLength(2);
});

it('runs as written, and each step answers what the doc says', async () => {
  // Both blocks in one shell: the second uses the first's session, account and cookie jar.
  const { stdout } = await run(
    'bash',
    ['-euo', 'pipefail', '-c', [CURL_NEWLINE, ...blocks.map(script)].join('\n')],
    {
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const lines = stdout.split('\n').filter(Boolean);
  const json = lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  const has = (predicate: (answer: Record<string, unknown>) => boolean) => json.some(predicate);
  // /me, the account created, the invitation, the installations, the link, the new repository.
  expect(has((a) => (a.user as { login?: string } | undefined)?.login === 'octo-demo')).toBe(true);
  expect(has((a) => a.login === 'octo-teammate' && a.status === 'pending')).toBe(true);
  expect(has((a) => Array.isArray(a.installations) && typeof a.installUrl === 'string')).toBe(true);
  expect(has((a) => a.id === 40001 && a.linked === true)).toBe(true);
  expect(has((a) => a.fullName === 'octo-org/hello' && typeof a.commitSha === 'string')).toBe(true);
  // The import: web-app found and read.
  expect(has((a) => Array.isArray(a.repositories) && JSON.stringify(a).includes('octo-org/web-app'))).toBe(
    true,
  );
  expect(has((a) => typeof a.commitSha === 'string' && Array.isArray(a.entries))).toBe(true);
  // The commit on a new branch, then the stale one refused.
  expect(has((a) => a.branch === 'feature/intro' && typeof a.sha === 'string')).toBe(true);
  expect(has((a) => a.error === 'head_moved')).toBe(true);
  // The install round trip ends linked.
  expect(lines.at(-1)).toMatch(/installation_id=\d+.*linked=true|linked=true.*installation_id=\d+/);
});

it('names the error a plain member gets when linking, as the API answers it', async () => {
  const named = /answers `403 ([a-z_]+)`/.exec(doc)?.[1];
  const jar = join(dataDir, 'teammate-jar');
  const signIn = `
    AUTH=$(curl -s -c ${jar} -o /dev/null -w '%{redirect_url}' '${stack.apiUrl}/auth/login?returnTo=${stack.apiUrl}/health')
    CALLBACK=$(curl -s -o /dev/null -w '%{redirect_url}' "$AUTH&login=LOGIN")
    curl -s -b ${jar} -D - -o /dev/null "$CALLBACK" | sed -n 's/^set-cookie: session=\\([^;]*\\).*/\\1/ip'`;
  const session = async (login: string) =>
    (await run('bash', ['-euo', 'pipefail', '-c', signIn.replace('LOGIN', login)])).stdout.trim();
  const owner = await session('octo-demo');
  const teammate = await session('octo-teammate');
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  // As the doc tells it: the teammate invited as a member, who accepts, then tries to link octo-org.
  const account = (await call(owner, 'POST', '/accounts', { name: 'Walkthrough team' })).body;
  const invited = await call(owner, 'POST', `/accounts/${String(account.id)}/members`, {
    login: 'octo-teammate',
    role: 'member',
  });
  const invitationId = (invited.body.invitation as { id?: string } | undefined)?.id ?? invited.body.id;
  expect((await call(teammate, 'POST', `/invitations/${String(invitationId)}/accept`)).status).toBe(200);
  const link = await call(teammate, 'PUT', `/accounts/${String(account.id)}/installations/40001`);
  expect(link.status).toBe(403);
  expect(link.body.error).toBe(named);
});
