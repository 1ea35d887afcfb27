import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordGitHubRequests } from '../support/github-requests.js';

// The recorder the cost tests count GitHub round trips with: it must tell sequential from parallel.
let server: Server;
let origin: string;
let recorder: ReturnType<typeof recordGitHubRequests>;

beforeAll(async () => {
  server = createServer((_request, response) => response.end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  recorder = recordGitHubRequests(origin);
});
afterAll(async () => {
  recorder?.stop();
  if (server) await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => recorder.clear());

const get = async (path: string) => (await fetch(`${origin}${path}`)).json();

it('one after another: each request is a round trip', async () => {
  for (const page of [1, 2, 3]) await get(`/page/${page}`);
  expect(recorder.requests.map((request) => request.path)).toEqual(['/page/1', '/page/2', '/page/3']);
  expect(recorder.sequentialRoundTrips()).toBe(3);
});

it('issued together: one round trip, however late the answers come', async () => {
  await Promise.all([1, 2, 3, 4, 5].map((page) => get(`/page/${page}`)));
  expect(recorder.requests).toHaveLength(5);
  expect(recorder.sequentialRoundTrips()).toBe(1);
});

it('the first page, then the rest together: two round trips', async () => {
  await get('/page/1');
  await Promise.all([2, 3, 4].map((page) => get(`/page/${page}`)));
  expect(recorder.sequentialRoundTrips()).toBe(2);
});

it('requests to other origins are not recorded', async () => {
  await fetch(`${origin.replace('127.0.0.1', 'localhost')}/elsewhere`);
  expect(recorder.requests).toEqual([]);
});
