import { EmulatorAdmin } from '../../local/github-emulator/admin-client.js';
import { startGitHubEmulator, type GitHubEmulator } from '../../local/github-emulator/server.js';
import {
  createGitHubRequest,
  toUpstreamError,
  unanswered,
  withTimeout,
  type GitHubRequest,
} from '../../functions/shared/github/github.js';

/**
 * The GitHub client layer reads every answer whole (github.ts readWhole): an answer whose body is cut
 * off, stalls after the headers until our timeout fires, or is plainly incomplete JSON is an error that
 * maps to 502 `github_unavailable`, never data `""` (what @octokit/request hands back when it cannot
 * read a body). The emulator sends the real answer's headers and half its body (docs/github-emulator.md).
 */
let emulator: GitHubEmulator;
let admin: EmulatorAdmin;
let github: GitHubRequest;

beforeAll(async () => {
  emulator = await startGitHubEmulator();
  admin = new EmulatorAdmin(emulator.url);
  await admin.createUser({ login: 'octocat' });
  // The client's own timeout, short: a stalled body must end in an error, not in data.
  github = withTimeout(createGitHubRequest(emulator.url), 500);
});
afterAll(() => emulator?.close());
afterEach(() => admin.call('DELETE', '/faults'));

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    const answer = await call;
    throw new Error(`expected a failure, got ${JSON.stringify(answer)}`);
  } catch (error) {
    return error;
  }
}

const readUser = () => github('GET /users/{username}', { username: 'octocat' });

it('answers whole are read as usual', async () => {
  const { data, status } = await readUser();
  expect({ status, login: data.login }).toEqual({ status: 200, login: 'octocat' });
});

it.each([
  ['cut off mid-body', { mode: 'cut-body' as const }],
  ['headers, then silence until the timeout fires', { mode: 'stall-body' as const }],
  ['headers, then silence, then the connection drops', { mode: 'stall-body' as const, delayMs: 50 }],
])('an answer %s is 502 github_unavailable, and GitHub may have acted', async (_name, fault) => {
  await admin.fault({ route: '/users/{username}', ...fault });
  const error = await failure(readUser());
  expect(toUpstreamError(error)).toMatchObject({
    statusCode: 502,
    code: 'github_unavailable',
    headers: { 'Retry-After': '5' },
  });
  expect(unanswered(error)).toBe('lost');
  // The next call is whole again (a fault is spent once).
  expect((await readUser()).status).toBe(200);
});

/** The client over a fetch that answers `response` (the one boundary faked here). */
const answering = (response: () => Response) =>
  createGitHubRequest('http://github.test', () => Promise.resolve(response()));
const jsonAnswer = (status: number, body: string) => () =>
  new Response(body, { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

it.each([
  ['empty', ''],
  ['an object cut short', '{"login":"octocat","id":'],
  ['a list cut short', '[{"id":1},'],
])('a JSON body that is %s is unreadable, whatever the status', async (_name, body) => {
  for (const status of [200, 404]) {
    const error = await failure(
      answering(jsonAnswer(status, body))('GET /users/{username}', { username: 'a' }),
    );
    expect(toUpstreamError(error)).toMatchObject({ statusCode: 502, code: 'github_unavailable' });
  }
});

it('answers without a body (204, 304) and whole error answers keep their meaning', async () => {
  const noContent = answering(() => new Response(null, { status: 204 }));
  expect((await noContent('DELETE /repos/{owner}/{repo}', { owner: 'a', repo: 'b' })).status).toBe(204);
  const notModified = await failure(
    answering(() => new Response(null, { status: 304, headers: { etag: 'W/"x"' } }))(
      'GET /users/{username}',
      {
        username: 'a',
      },
    ),
  );
  expect(notModified).toMatchObject({ status: 304 });
  const notFound = await failure(
    answering(jsonAnswer(404, '{"message":"Not Found"}'))('GET /users/{username}', { username: 'a' }),
  );
  expect(notFound).toMatchObject({ status: 404, message: expect.stringContaining('Not Found') });
  expect(toUpstreamError(notFound)).toBeUndefined();
});
