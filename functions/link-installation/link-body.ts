import * as z from 'zod/mini';
import { BadRequestError, UnsupportedMediaTypeError } from '../shared/errors.js';
import type { HttpRequest } from '../shared/http/request.js';
import { parseBody } from '../shared/http/validate.js';
import { parseScope, type RepositoryScope } from '../shared/installations/repository-scope.js';
import {
  commitPolicyFrom,
  commitPolicyInput,
  type CommitPolicy,
} from '../shared/repositories/commit-policy-settings.js';

/** `repositories` and `patterns` (docs/repository-scope.md); both null or absent: every repository. */
const names = z.optional(z.nullable(z.array(z.string())));
const scopeFields = { repositories: names, patterns: names };

const linkBody = z.strictObject(scopeFields);
const settingsBody = z.strictObject({ commitPolicy: z.optional(commitPolicyInput), ...scopeFields });

const JSON_TYPE = /^application\/(.+\+)?json($|;.+)/;

/**
 * PUT's body is optional, so that a link stays one bodiless PUT: none links (an existing link keeps its
 * scope); a JSON body sets the scope (`{}`: every repository). 415 for a body that is not JSON, 400
 * `invalid_json`, `invalid_request` or `invalid_scope`: all before anything is read or asked.
 */
export function parseLinkBody(request: HttpRequest): RepositoryScope | null | undefined {
  const text = request.rawBody.toString('utf8');
  if (text.trim() === '') return undefined;
  if (!JSON_TYPE.test(request.headers['content-type'] ?? '')) throw new UnsupportedMediaTypeError();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadRequestError('invalid_json', 'The request body is not valid JSON.');
  }
  return parseScope(parseBody(linkBody, json));
}

/** What a PATCH changes: each field only when sent (the scope when either of its fields is). */
export type LinkSettingsChange = { commitPolicy?: CommitPolicy; scope?: RepositoryScope | null };

/**
 * PATCH's body: `commitPolicy` and/or `repositories`/`patterns`, which together replace the scope
 * (one sent alone leaves the other empty; both null: every repository).
 */
export function parseSettingsBody(body: unknown): LinkSettingsChange {
  const { commitPolicy, repositories, patterns } = parseBody(settingsBody, body);
  const setsScope = repositories !== undefined || patterns !== undefined;
  if (commitPolicy === undefined && !setsScope)
    throw new BadRequestError(
      'invalid_request',
      'The request body is not valid: send commitPolicy, or repositories and/or patterns (the scope).',
    );
  return {
    ...(commitPolicy !== undefined ? { commitPolicy: commitPolicyFrom(commitPolicy) } : {}),
    ...(setsScope ? { scope: parseScope({ repositories, patterns }) } : {}),
  };
}
