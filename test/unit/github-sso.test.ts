import { RequestError } from '@octokit/request-error';
import { SsoAuthorizationRequiredError } from '../../functions/shared/errors.js';
import { ssoPartialOrganizations, ssoRequired, ssoRequiredUrl } from '../../functions/shared/github/sso.js';

const URL_ = 'https://github.com/orgs/octo-org/sso?authorization_request=A1B2';

function gitHubError(status: number, headers: Record<string, string>) {
  return new RequestError('Resource protected by organization SAML enforcement.', status, {
    request: { method: 'GET', url: 'https://api.github.com/repos/octo-org/app', headers: {} },
    response: { status, url: 'https://api.github.com/repos/octo-org/app', headers, data: {} },
  });
}

describe('X-GitHub-SSO', () => {
  it('reads the url of a 403 "required" answer, and nothing else', () => {
    expect(ssoRequiredUrl(403, { 'x-github-sso': `required; url=${URL_}` })).toBe(URL_);
    expect(ssoRequiredUrl(403, { 'x-github-sso': `required;url=${URL_}` })).toBe(URL_);
    expect(ssoRequiredUrl(404, { 'x-github-sso': `required; url=${URL_}` })).toBeUndefined();
    expect(ssoRequiredUrl(403, {})).toBeUndefined();
    expect(ssoRequiredUrl(403, { 'x-github-sso': 'partial-results; organizations=1' })).toBeUndefined();
    // Only web urls are handed to a browser.
    expect(ssoRequiredUrl(403, { 'x-github-sso': 'required; url=javascript:alert(1)' })).toBeUndefined();
    expect(ssoRequiredUrl(403, { 'x-github-sso': 'required; url=not a url' })).toBeUndefined();
  });

  it('reads the organisations GitHub left out of a list', () => {
    expect(
      ssoPartialOrganizations({ 'x-github-sso': 'partial-results; organizations=21955855,20582480' }),
    ).toEqual([21955855, 20582480]);
    expect(ssoPartialOrganizations({ 'x-github-sso': 'partial-results; organizations=7' })).toEqual([7]);
    expect(ssoPartialOrganizations({})).toEqual([]);
    expect(ssoPartialOrganizations({ 'x-github-sso': `required; url=${URL_}` })).toEqual([]);
    expect(ssoPartialOrganizations({ 'x-github-sso': 'partial-results; organizations=x,-1,3' })).toEqual([3]);
  });

  it('turns GitHub’s SSO refusal into 403 sso_authorization_required with the url and the organisation', () => {
    const error = ssoRequired(gitHubError(403, { 'x-github-sso': `required; url=${URL_}` }));
    expect(error).toBeInstanceOf(SsoAuthorizationRequiredError);
    expect(error?.statusCode).toBe(403);
    expect(error?.code).toBe('sso_authorization_required');
    expect(error?.details).toEqual({ url: URL_ });
    expect(error?.message).toContain('octo-org');
    expect(ssoRequired(gitHubError(403, {}))).toBeUndefined();
    expect(ssoRequired(new Error('403'))).toBeUndefined();
  });
});
