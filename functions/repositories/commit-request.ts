import * as z from 'zod/mini';
import { LIMITS as CREATION_LIMITS } from '../create-repo/repository-request.js';
import { BadRequestError, PayloadTooLargeError } from '../shared/errors.js';
import { pathProblem } from '../shared/git/verify-path.js';
import { refNameProblem } from '../shared/git/ref-name.js';
import { parseBody } from '../shared/http/validate.js';

/**
 * What one commit may carry. The whole request must fit API Gateway's 6 MB hand-over to Lambda, base64
 * included: 4 MB of content in all (≈ 5.4 MB as base64), any one file up to that (GitHub's blob limit
 * is far higher). Paths follow the creation route's rules and length.
 */
export const COMMIT_LIMITS = {
  files: 1000,
  deletions: 1000,
  fileBytes: CREATION_LIMITS.totalBytes,
  totalBytes: CREATION_LIMITS.totalBytes,
  pathLength: CREATION_LIMITS.pathLength,
  messageLength: 64 * 1024,
} as const;

const body = z.strictObject({
  branch: z.string(),
  baseBranch: z.optional(z.string()),
  message: z.string().check(z.minLength(1), z.maxLength(COMMIT_LIMITS.messageLength)),
  expectedHeadSha: z.optional(z.string().check(z.regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/))),
  files: z.array(
    z.strictObject({
      path: z.string(),
      content: z.string(),
      encoding: z.enum(['utf-8', 'base64']),
      mode: z.optional(z.enum(['100644', '100755'])),
    }),
  ),
  deletions: z.optional(z.array(z.string())),
});

export type CommitFile = { path: string; content: Buffer; mode: '100644' | '100755' };
export type CommitRequest = {
  branch: string;
  baseBranch: string | undefined;
  message: string;
  expectedHeadSha: string | undefined;
  files: CommitFile[];
  deletions: string[];
};

function checkBranch(name: string, field: string): void {
  const problem = refNameProblem(name);
  if (problem) {
    throw new BadRequestError(
      'invalid_branch',
      `${field} ${JSON.stringify(name.slice(0, 100))} is not a branch name Git accepts (${problem.replace(/_/g, ' ')}).`,
    );
  }
}

function checkPath(path: string): void {
  const problem = pathProblem(path, COMMIT_LIMITS.pathLength);
  if (problem) {
    throw new BadRequestError(
      'invalid_path',
      `${JSON.stringify(path.slice(0, 100))} is not a valid file path in a repository (${problem.replace(/_/g, ' ')}).`,
    );
  }
}

/** Strict base64 (what Buffer.from would silently skip over is refused). */
function decodeBase64(path: string, content: string): Buffer {
  const compact = content.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new BadRequestError('invalid_content', `The content of "${path}" is not valid base64.`);
  }
  return Buffer.from(compact, 'base64');
}

/**
 * Validates the whole commit before any GitHub call: branch names (Git's ref rules), paths (Git's own
 * rules), each path named once across files and deletions, no file where another file needs a
 * directory, counts (400) and sizes (413).
 */
export function parseCommitRequest(raw: unknown): CommitRequest {
  const input = parseBody(body, raw);
  checkBranch(input.branch, 'branch');
  if (input.baseBranch !== undefined) checkBranch(input.baseBranch, 'baseBranch');
  if (input.message.trim() === '')
    throw new BadRequestError('invalid_request', 'The commit message is empty.');
  const deletions = input.deletions ?? [];
  if (input.files.length + deletions.length === 0)
    throw new BadRequestError('empty_commit', 'A commit needs at least one file or deletion.');
  if (input.files.length > COMMIT_LIMITS.files)
    throw new BadRequestError('too_many_files', `At most ${COMMIT_LIMITS.files} files a commit.`);
  if (deletions.length > COMMIT_LIMITS.deletions)
    throw new BadRequestError('too_many_files', `At most ${COMMIT_LIMITS.deletions} deletions a commit.`);
  const seen = new Set<string>();
  for (const path of [...input.files.map((file) => file.path), ...deletions]) {
    checkPath(path);
    if (seen.has(path)) throw new BadRequestError('duplicate_path', `"${path}" is named twice.`);
    seen.add(path);
  }
  const written = new Set(input.files.map((file) => file.path));
  for (const path of written) {
    const segments = path.split('/');
    for (let end = 1; end < segments.length; end++) {
      const parent = segments.slice(0, end).join('/');
      if (written.has(parent))
        throw new BadRequestError('path_conflict', `"${parent}" cannot be a file and hold "${path}".`);
    }
  }
  let total = 0;
  const files = input.files.map((file) => {
    const content =
      file.encoding === 'base64' ? decodeBase64(file.path, file.content) : Buffer.from(file.content, 'utf8');
    if (content.length > COMMIT_LIMITS.fileBytes) {
      throw new PayloadTooLargeError(
        `"${file.path}" is larger than ${COMMIT_LIMITS.fileBytes / 1024 / 1024} MB.`,
        'file_too_large',
      );
    }
    total += content.length;
    return { path: file.path, content, mode: file.mode ?? '100644' };
  });
  if (total > COMMIT_LIMITS.totalBytes) {
    throw new PayloadTooLargeError(
      `The files add up to more than ${COMMIT_LIMITS.totalBytes / 1024 / 1024} MB.`,
      'commit_too_large',
    );
  }
  return {
    branch: input.branch,
    baseBranch: input.baseBranch,
    message: input.message,
    expectedHeadSha: input.expectedHeadSha,
    files,
    deletions,
  };
}
