import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AppError } from '../../functions/shared/errors.js';
import { toHttpRequest } from '../../functions/shared/http/request.js';
import { parseLinkBody, parseSettingsBody } from '../../functions/link-installation/link-body.js';

/** A PUT as the handler sees it: the exact bytes and the Content-Type. */
function put(body: string | undefined, contentType = 'application/json') {
  const event = {
    routeKey: 'PUT /accounts/{accountId}/installations/{installationId}',
    requestContext: { requestId: 'req-1' },
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    ...(body === undefined ? {} : { body }),
  } as unknown as APIGatewayProxyEventV2;
  return toHttpRequest(event, undefined, Buffer.from(body ?? '', 'utf8'));
}

function refusal(parse: () => unknown): string | undefined {
  try {
    parse();
    return undefined;
  } catch (error) {
    return error instanceof AppError ? `${error.statusCode} ${error.code}` : 'unexpected';
  }
}

describe('PUT body (optional)', () => {
  it('none, or only whitespace: no scope given (undefined), whatever the Content-Type', () => {
    expect(parseLinkBody(put(undefined))).toBeUndefined();
    expect(parseLinkBody(put(''))).toBeUndefined();
    expect(parseLinkBody(put(' \n', 'text/plain'))).toBeUndefined();
  });

  it('a JSON scope: parsed as parseScope does; {} and null/null: every repository (null)', () => {
    expect(parseLinkBody(put('{"repositories":["Web"],"patterns":["team-a-*"]}'))).toEqual({
      repositories: ['web'],
      patterns: ['team-a-*'],
    });
    expect(parseLinkBody(put('{}'))).toBeNull();
    expect(
      parseLinkBody(put('{"repositories":null,"patterns":null}', 'application/json; charset=utf-8')),
    ).toBeNull();
  });

  it.each([
    ['{"repositories":["a/b"]}', 'application/json', '400 invalid_scope'],
    ['{"patterns":["*-api"]}', 'application/json', '400 invalid_scope'],
    ['{"repositories":[],"patterns":[]}', 'application/json', '400 invalid_scope'],
    ['{"repositories":"web"}', 'application/json', '400 invalid_request'],
    ['{"commitPolicy":{"committers":"account_members"}}', 'application/json', '400 invalid_request'],
    ['[]', 'application/json', '400 invalid_request'],
    ['{"patterns": [', 'application/json', '400 invalid_json'],
    ['{"patterns":["a-*"]}', 'text/plain', '415 unsupported_media_type'],
  ])('%s (%s) is %s', (body, type, expected) => {
    expect(refusal(() => parseLinkBody(put(body, type)))).toBe(expected);
  });
});

describe('PATCH body', () => {
  it('commitPolicy alone leaves the scope out; scope fields alone leave the policy out', () => {
    expect(parseSettingsBody({ commitPolicy: { committers: 'account_members' } })).toEqual({
      commitPolicy: {
        committers: 'account_members',
        defaultBranchNeedsAdmin: true,
        githubPathsNeedAdmin: true,
        readOnlyRepositories: [],
      },
    });
    expect(parseSettingsBody({ patterns: ['Team-A-*'] })).toEqual({
      scope: { repositories: [], patterns: ['team-a-*'] },
    });
  });

  it('null for the scope fields widens to every repository (scope null, present)', () => {
    expect(parseSettingsBody({ repositories: null, patterns: null })).toEqual({ scope: null });
    expect(parseSettingsBody({ repositories: null })).toEqual({ scope: null });
  });

  it('both together', () => {
    expect(
      parseSettingsBody({ commitPolicy: { committers: 'github_push_access' }, repositories: ['web'] }),
    ).toMatchObject({
      commitPolicy: { committers: 'github_push_access' },
      scope: { repositories: ['web'], patterns: [] },
    });
  });

  it.each([
    [{}, '400 invalid_request'],
    [{ scope: ['web'] }, '400 invalid_request'],
    [{ repositories: [1] }, '400 invalid_request'],
    [{ commitPolicy: { committers: 'anyone' } }, '400 invalid_request'],
    [{ repositories: [], patterns: [] }, '400 invalid_scope'],
    [{ patterns: ['team-*-api'] }, '400 invalid_scope'],
    [null, '400 invalid_request'],
  ])('%j is %s', (body, expected) => {
    expect(refusal(() => parseSettingsBody(body))).toBe(expected);
  });
});
