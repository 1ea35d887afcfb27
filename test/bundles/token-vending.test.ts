/**
 * Issue #25's vending path through the bundles `cdk synth` wrote, on Lambda's Node: an owner grants a
 * role through the service-access bundle; the role, signing with the AWS SDK's signer as a back-end
 * does (examples/token-vending-client.ts, what `npm run vend` uses), gets a token from the
 * token-vending bundle behind the bundle server's SigV4 check (API Gateway's IAM authorizer,
 * local/sigv4-auth.ts); the token reads its repository at GitHub (the emulator) and writes nothing;
 * what the policy does not grant is a 403 naming it; revoked, GitHub refuses the token.
 */
import { createHash } from 'node:crypto';
import {
  revokeToken,
  signRequest,
  VendingRefused,
  vendToken,
  type SigningOptions,
  type VendedToken,
} from '../../examples/token-vending-client.js';
import { LOCAL_SERVICE_ROLE_ARN } from '../../local/local-secrets.js';
import { startBundledService, type BundledService } from '../support/bundled-service.js';
import { api, signIn } from '../support/service.js';
import { scanTable, withVendedToken } from '../support/service-tokens.js';

/** `arn:aws:iam::123456789012:role/builder`: the role the secrets file is seeded with, as by `npm start`. */
const BUILDER = LOCAL_SERVICE_ROLE_ARN;
/** A role no policy names. */
const STRANGER = 'arn:aws:iam::123456789012:role/stranger';
/**
 * The builder role's ARN as IAM spells it with a path (role names are unique in an account, paths
 * aside): STS's assumed-role ARN, which the authorizer hands on, carries no path.
 */
const BUILDER_WITH_PATH = 'arn:aws:iam::123456789012:role/ci/builder';
/** A role whose policy limits its tokens to 10 minutes (dedicated tokens, revoked by the schedule). */
const SHORT_LIVED = 'arn:aws:iam::123456789012:role/short-lived';
const ONE = 'octo-org/app-one';
const TWO = 'octo-org/app-two';
const OUTSIDE_SCOPE = 'octo-org/secret-repo';

let fx: BundledService;
let accountId: string;
let installationId: number;
let vended: VendedToken;
type Call = ReturnType<typeof api>;
let alice: Call;

/** Signing as one of the service credentials the bundle server verifies against. */
const as = (roleArn: string): SigningOptions => {
  const credential = fx.secrets.serviceCredentials?.find((entry) => entry.roleArn === roleArn);
  if (!credential) throw new Error(`no service credential for ${roleArn}`);
  return {
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    region: 'us-east-1',
  };
};
const vend = (roleArn: string, repositories: string[], permissions: Record<string, 'read' | 'write'>) =>
  vendToken(fx.api.url, { accountId, repositories, permissions }, as(roleArn));
/** The refusal a request meets (status and body); fails if it was granted. */
async function refusal(request: Promise<unknown>) {
  const outcome = await request.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof VendingRefused)) throw new Error(`expected a refusal, got ${String(outcome)}`);
  return { status: outcome.status, ...outcome.body };
}
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
/** GitHub (the emulator) asked with a vended token, as the back-end would. */
const github = (token: string, path: string, init?: { method?: string; body?: unknown }) =>
  withVendedToken(fx.emulator.url)(token, path, init);
const README = (repository: string) => `/repos/${repository}/contents/README.md`;
/** Installation tokens GitHub minted since the last clearCalls. */
const mints = async () =>
  (await fx.admin.calls()).filter((call) => call.route.includes('access_tokens')).length;
const tableItems = () => scanTable(fx.table);
/** The token's audit items of one kind (`ISSUE#…`, `REVOKE#…`), under its SHA-256. */
const audit = async (token: string, kind: 'ISSUE' | 'REVOKE') =>
  (await tableItems()).filter(
    (item) => item.PK === `VEND#${sha256(token)}` && String(item.SK).startsWith(`${kind}#`),
  );
/** Every issue audited so far (of any token). */
const issues = async () =>
  (await tableItems()).filter(
    (item) => String(item.PK).startsWith('VEND#') && String(item.SK).startsWith('ISSUE#'),
  ).length;

beforeAll(async () => {
  fx = await startBundledService({ serviceRoles: [STRANGER, BUILDER_WITH_PATH, SHORT_LIVED] });
  const appId = Number(fx.secrets.githubApp.appId);
  await fx.admin.createUser({ login: 'alice' });
  await fx.admin.createUser({ login: 'octo-org', type: 'Organization', admins: ['alice'] });
  await fx.admin.createRepositories('octo-org', {
    names: ['app-one', 'app-two', 'secret-repo'],
    files: { 'README.md': '# app\n' },
  });
  installationId = (await fx.admin.install({ appId, account: 'octo-org' })).installation.id;
  const signedIn = await signIn(fx, 'alice');
  expect(signedIn.status).toBe(302);
  alice = api(fx, signedIn);
  const created = await alice('/accounts', { method: 'POST', json: { name: 'Platform' } });
  expect(created.status).toBe(201);
  accountId = ((await created.json()) as { id: string }).id;
  // The account's link reaches `app-*` only (its scope, written by the link-installation bundle).
  const linked = await alice(`/accounts/${accountId}/installations/${installationId}`, {
    method: 'PUT',
    json: { patterns: ['app-*'] },
  });
  expect(linked.status).toBe(201);
});
afterAll(() => fx?.close());

it('the service-access bundle: an owner grants the builder role contents: read on one repository of the scope', async () => {
  const policies = `/accounts/${accountId}/service-access`;
  const outside = await alice(policies, {
    method: 'POST',
    json: { principal: BUILDER, repositories: [OUTSIDE_SCOPE], permissions: { contents: 'read' } },
  });
  expect(outside.status).toBe(400);
  expect(await outside.json()).toMatchObject({
    error: 'repositories_out_of_scope',
    message: expect.stringContaining(OUTSIDE_SCOPE) as string,
  });
  const created = await alice(policies, {
    method: 'POST',
    json: { principal: BUILDER, repositories: ['Octo-Org/App-One'], permissions: { contents: 'read' } },
  });
  expect(created.status).toBe(201);
  const policy = (await created.json()) as Record<string, unknown>;
  expect(policy).toMatchObject({
    id: expect.any(String) as string,
    principal: BUILDER,
    repositories: [ONE],
    permissions: { contents: 'read' },
    maxLifetimeMinutes: null,
  });
  const listed = await alice(policies);
  expect(listed.status).toBe(200);
  expect(await listed.json()).toEqual({ policies: [policy] });
});

it('the token-vending bundle vends a SigV4-signed request a token for the repository: it reads there, writes nothing, reaches nothing else', async () => {
  await fx.admin.clearCalls();
  vended = await vend(BUILDER, [ONE], { contents: 'read' });
  expect(vended).toEqual({
    token: expect.stringMatching(/^ghs_/) as string,
    expiresAt: expect.any(String) as string,
    installationId,
    repositories: [ONE],
    permissions: { contents: 'read' },
  });
  expect(await mints()).toBe(1);

  expect((await github(vended.token, README(ONE))).status).toBe(200);
  const write = await github(vended.token, `/repos/${ONE}/git/blobs`, {
    method: 'POST',
    body: { content: 'x', encoding: 'utf-8' },
  });
  expect(write.status).toBe(403);
  expect((await github(vended.token, README(TWO))).status).toBe(404);

  // Audited under the token's SHA-256, with the caller's role (from the signature): never the token.
  expect(await audit(vended.token, 'ISSUE')).toEqual([
    expect.objectContaining({
      tokenSha256: sha256(vended.token),
      accountId,
      principal: BUILDER,
      installationId,
      repositories: [ONE],
      permissions: { contents: 'read' },
    }),
  ]);
  expect(JSON.stringify(await tableItems())).not.toContain(vended.token);
});

it('refuses what the policy does not grant with a 403 naming it, and mints nothing', async () => {
  await fx.admin.clearCalls();
  expect(await refusal(vend(BUILDER, [ONE, TWO], { contents: 'read' }))).toEqual({
    status: 403,
    error: 'outside_service_access_policy',
    message: expect.stringContaining(TWO) as string,
    repositories: [TWO],
  });
  expect(await refusal(vend(BUILDER, [ONE], { contents: 'write' }))).toEqual({
    status: 403,
    error: 'outside_service_access_policy',
    message: expect.stringContaining('contents:write') as string,
    permissions: { contents: 'write' },
  });
  expect(await refusal(vend(STRANGER, [ONE], { contents: 'read' }))).toEqual({
    status: 403,
    error: 'service_access_denied',
    message: expect.stringContaining(STRANGER) as string,
    // No policy names the role: everything asked is refused.
    repositories: [ONE],
    permissions: { contents: 'read' },
  });
  expect(await mints()).toBe(0);
});

it("the bundle server checks SigV4 as API Gateway's IAM authorizer does: unsigned, stale, altered or foreign requests never reach the bundle", async () => {
  const url = `${fx.api.url}/service/accounts/${accountId}/tokens`;
  const body = JSON.stringify({ repositories: [ONE], permissions: { contents: 'read' } });
  const send = async (headers: Record<string, string>, sent = body) => {
    const response = await fetch(url, { method: 'POST', headers, body: sent });
    return { status: response.status, error: ((await response.json()) as { error?: string }).error };
  };
  const signed = (options: SigningOptions) => signRequest(url, { method: 'POST', body }, options);
  const issuedBefore = await issues();
  await fx.admin.clearCalls();

  expect(await send({ 'content-type': 'application/json' })).toEqual({
    status: 403,
    error: 'missing_authentication',
  });
  expect(
    await send(await signed({ ...as(BUILDER), signingDate: new Date(Date.now() - 6 * 60_000) })),
  ).toEqual({ status: 403, error: 'signature_expired' });
  expect(await send(await signed(as(BUILDER)), body.replace('app-one', 'app-two'))).toEqual({
    status: 403,
    error: 'invalid_signature',
  });
  const { secretAccessKey } = as(BUILDER).credentials;
  expect(
    await send(
      await signed({
        ...as(BUILDER),
        credentials: { accessKeyId: 'AKIAUNKNOWN0000000000', secretAccessKey },
      }),
    ),
  ).toEqual({ status: 403, error: 'unknown_access_key' });
  expect(
    await send(
      await signed({ ...as(BUILDER), credentials: { ...as(STRANGER).credentials, secretAccessKey } }),
    ),
  ).toEqual({ status: 403, error: 'invalid_signature' });
  expect(await mints()).toBe(0);
  expect(await issues()).toBe(issuedBefore);
});

it('hands the bundle the caller as API Gateway does, an assumed-role ARN: the builder role signing under its ARN with a path is the builder', async () => {
  // Were the role ARN handed on as is, its path would make it no role a policy can name (403).
  const again = await vend(BUILDER_WITH_PATH, [ONE], { contents: 'read' });
  // The same scope: the shared cache's token, audited a second time, to the role without its path.
  expect(again.token).toBe(vended.token);
  expect((await audit(vended.token, 'ISSUE')).map((item) => item.principal)).toEqual([BUILDER, BUILDER]);
});

it("the token-vending bundle's schedule revokes a dedicated token once its policy's lifetime is over", async () => {
  const created = await alice(`/accounts/${accountId}/service-access`, {
    method: 'POST',
    json: {
      principal: SHORT_LIVED,
      repositories: [ONE],
      permissions: { contents: 'read' },
      maxLifetimeMinutes: 10,
    },
  });
  expect(created.status).toBe(201);
  const short = await vend(SHORT_LIVED, [ONE], { contents: 'read' });
  // Its own token (not the shared cache's), answered as living at most the policy's 10 minutes.
  expect(short.token).not.toBe(vended.token);
  expect(Date.parse(short.expiresAt) - Date.now()).toBeLessThanOrEqual(10 * 60_000);

  // Not due yet: the schedule's run leaves it.
  expect(await fx.runLifetimeSweep()).toMatchObject({ revoked: 0 });
  expect((await github(short.token, README(ONE))).status).toBe(200);
  // The run eleven minutes later revokes it at GitHub and audits it.
  expect(await fx.runLifetimeSweep(11 * 60_000)).toMatchObject({ revoked: 1, failed: 0 });
  expect((await github(short.token, README(ONE))).status).toBe(401);
  expect(await audit(short.token, 'REVOKE')).toEqual([
    expect.objectContaining({ revoker: 'lifetime', outcome: 'revoked', installationId }),
  ]);
  // Only the dedicated token: the builder's token of the same scope still reads.
  expect((await github(vended.token, README(ONE))).status).toBe(200);
});

it('revokes the token (DELETE /service/tokens) for a role it was vended to: GitHub refuses it afterwards', async () => {
  expect(await refusal(revokeToken(fx.api.url, vended.token, as(STRANGER)))).toMatchObject({
    status: 403,
    error: 'token_not_issued_to_caller',
  });
  expect((await github(vended.token, README(ONE))).status).toBe(200);

  await revokeToken(fx.api.url, vended.token, as(BUILDER));
  const after = await github(vended.token, README(ONE));
  expect(after.status).toBe(401);
  expect(await audit(vended.token, 'REVOKE')).toEqual([
    expect.objectContaining({ revoker: BUILDER, outcome: 'revoked', installationId }),
  ]);
});
