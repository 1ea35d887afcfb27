/**
 * The world test/integration/github-emulator.test.ts and its areas (test/integration/github-emulator/)
 * share: one emulator with the App registered, three users, two organizations and the App installed on
 * octo-demo, octo-org and other-org; and the helpers the areas call. The bindings are live (ESM): they
 * are set by useEmulatorSuite()'s beforeAll, before any test of the file runs.
 */
import { createSign } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { exchangeWebFlowCode } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import { authorizeAs, startEmulatorFixture, type EmulatorFixture } from './emulator.js';

export let fx: EmulatorFixture;
export let request: typeof octokitRequest;
export let installations: { personal: number; org: number };

/** Starts the shared world before the file's tests and stops it after them. */
export function useEmulatorSuite(): void {
  beforeAll(async () => {
    fx = await startEmulatorFixture();
    request = octokitRequest.defaults({ baseUrl: fx.emulator.url });
    await fx.admin.createUser({ login: 'octo-demo', name: 'Octo Demo' });
    await fx.admin.createUser({ login: 'octo-teammate' });
    await fx.admin.createUser({ login: 'outsider' });
    await fx.admin.createUser({
      login: 'octo-org',
      type: 'Organization',
      members: ['octo-demo', 'octo-teammate'],
    });
    await fx.admin.createUser({ login: 'other-org', type: 'Organization', members: ['outsider'] });
    installations = {
      personal: (await fx.admin.install({ appId: fx.app.id, account: 'octo-demo' })).installation.id,
      org: (await fx.admin.install({ appId: fx.app.id, account: 'octo-org' })).installation.id,
    };
    await fx.admin.install({ appId: fx.app.id, account: 'other-org' });
  });
  afterAll(() => fx.close());
}

export type Failure = {
  status: number;
  response?: { data?: Record<string, unknown>; headers?: Record<string, string> };
};
export async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected the call to fail');
}

export function craftJwt(privateKey: string, claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey, 'base64url');
  return `${header}.${payload}.${signature}`;
}

export const now = () => Math.floor(Date.now() / 1000);

export const appAuth = () =>
  createAppAuth({
    appId: fx.app.id,
    privateKey: fx.app.privateKey,
    clientId: fx.app.clientId,
    clientSecret: fx.app.clientSecret,
    request,
  });

export async function signIn(
  login: string,
): Promise<{ token: string; refreshToken: string | undefined; expiresAt: string | undefined }> {
  const query = await authorizeAs(fx.emulator.url, { client_id: fx.app.clientId, login, state: 's' });
  const code = query.get('code') ?? '';
  const { authentication } = await exchangeWebFlowCode({
    clientType: 'github-app',
    clientId: fx.app.clientId,
    clientSecret: fx.app.clientSecret,
    code,
    request,
  });
  const withRefresh = authentication as { refreshToken?: string; expiresAt?: string };
  return {
    token: authentication.token,
    refreshToken: withRefresh.refreshToken,
    expiresAt: withRefresh.expiresAt,
  };
}
