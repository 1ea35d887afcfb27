/** Errors shaped as GitHub answers them: `{ message, documentation_url, status }` (+ `errors` for 422). */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      message: this.message,
      ...this.extra,
      documentation_url: this.extra.documentation_url ?? 'https://docs.github.com/rest',
      status: String(this.status),
    };
  }
}

export const notFound = () => new GitHubError(404, 'Not Found');
export const badCredentials = () => new GitHubError(401, 'Bad credentials');
export const requiresAuthentication = () => new GitHubError(401, 'Requires authentication');
export const notAccessibleByIntegration = () =>
  new GitHubError(403, 'Resource not accessible by integration');
export const jwtRequired = () =>
  new GitHubError(401, 'A JSON web token could not be decoded', {
    documentation_url: 'https://docs.github.com/rest',
  });

export function validationFailed(
  message: string,
  errors: Array<Record<string, unknown>>,
  documentationUrl = 'https://docs.github.com/rest',
): GitHubError {
  return new GitHubError(422, message, { errors, documentation_url: documentationUrl });
}
