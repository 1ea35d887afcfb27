import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { BadRequestError } from '../shared/errors.js';
import { pathProblem } from '../shared/git/verify-path.js';
import { parseBody } from '../shared/http/validate.js';

export const LIMITS = {
  files: 200,
  fileBytes: 1024 * 1024,
  // API Gateway hands Lambda at most 6 MB; keep the whole template well inside it.
  totalBytes: 4 * 1024 * 1024,
  pathLength: 1024,
} as const;

const body = z.strictObject({
  installationId: z.number().check(z.int(), z.positive()),
  name: z.string(),
  description: z.optional(z.string().check(z.maxLength(350))),
  private: z.optional(z.boolean()),
  template: z.optional(
    z.strictObject({
      owner: z.string(),
      repo: z.string(),
      includeAllBranches: z.optional(z.boolean()),
    }),
  ),
  files: z.optional(
    z.array(
      z.strictObject({
        path: z.string(),
        content: z.string(),
        encoding: z.optional(z.enum(['utf-8', 'base64'])),
      }),
    ),
  ),
});

export type RepositoryFile = { path: string; content: Buffer };
/** The template repository to generate from (GitHub's "Create a repository using a template"). */
export type RepositoryTemplate = { owner: string; repo: string; includeAllBranches: boolean };
export type RepositoryRequest = {
  installationId: number;
  name: string;
  description: string | undefined;
  private: boolean;
  template: RepositoryTemplate | undefined;
  files: RepositoryFile[];
  /** Identifies "the same request" for retries. */
  hash: string;
};

/** GitHub's repository name rules: letters, digits, `.`, `-`, `_`; at most 100; not `.`/`..`; no `.git` suffix. */
export function checkRepositoryName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name) || name === '.' || name === '..' || /\.git$/i.test(name)) {
    throw new BadRequestError(
      'invalid_name',
      'Repository names use letters, digits, ".", "-" and "_" (at most 100), and cannot be "." or ".." or end in ".git".',
    );
  }
}

/** GitHub's login rules: letters, digits and single inner hyphens, at most 39. */
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

function parseTemplate(input: z.infer<typeof body>['template']): RepositoryTemplate | undefined {
  if (!input) return undefined;
  const validRepo = /^[A-Za-z0-9._-]{1,100}$/.test(input.repo) && input.repo !== '.' && input.repo !== '..';
  if (!GITHUB_LOGIN.test(input.owner) || !validRepo) {
    throw new BadRequestError(
      'invalid_template',
      'template.owner must be a GitHub login and template.repo a repository name (letters, digits, ".", "-", "_").',
    );
  }
  return { owner: input.owner, repo: input.repo, includeAllBranches: input.includeAllBranches ?? false };
}

/** Only paths Git itself would write: no `.git` aliases, no escapes, nothing malformed. */
function checkPath(path: string): void {
  const problem = pathProblem(path, LIMITS.pathLength);
  if (problem) {
    throw new BadRequestError(
      'invalid_path',
      `${JSON.stringify(path.slice(0, 100))} is not a valid file path in a repository (${problem.replace(/_/g, ' ')}).`,
    );
  }
}

/** Validates the whole request before anything is created: name, sizes, paths. */
export function parseRepositoryRequest(raw: unknown): RepositoryRequest {
  const input = parseBody(body, raw);
  checkRepositoryName(input.name);
  const template = parseTemplate(input.template);
  const files = input.files ?? [];
  if (files.length > LIMITS.files) {
    throw new BadRequestError(
      'too_many_files',
      `A repository template holds at most ${LIMITS.files} files (got ${files.length}).`,
    );
  }
  const seen = new Set<string>();
  let total = 0;
  const decoded = files.map((file) => {
    checkPath(file.path);
    if (seen.has(file.path))
      throw new BadRequestError('duplicate_file_path', `"${file.path}" appears twice.`);
    seen.add(file.path);
    const content = Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');
    if (content.length > LIMITS.fileBytes) {
      throw new BadRequestError(
        'file_too_large',
        `"${file.path}" is larger than ${LIMITS.fileBytes / 1024 / 1024} MB.`,
      );
    }
    total += content.length;
    return { path: file.path, content };
  });
  if (total > LIMITS.totalBytes) {
    throw new BadRequestError(
      'template_too_large',
      `The files add up to more than ${LIMITS.totalBytes / 1024 / 1024} MB.`,
    );
  }
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify([
      input.installationId,
      input.name,
      input.description ?? null,
      input.private ?? true,
      // Only when given, so that requests without a template keep the hashes they always had.
      ...(template
        ? [template.owner.toLowerCase(), template.repo.toLowerCase(), template.includeAllBranches]
        : []),
    ]),
  );
  for (const file of decoded) hash.update(`\0${file.path}\0`).update(file.content);
  return {
    installationId: input.installationId,
    name: input.name,
    description: input.description,
    private: input.private ?? true,
    template,
    files: decoded,
    hash: hash.digest('hex'),
  };
}
