import type * as z from 'zod/mini';
import { BadRequestError, NotFoundError } from '../errors.js';

/** Parses a request body with a zod schema; a mismatch is a 400 naming the fields (never echoing values). */
export function parseBody<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw new BadRequestError('invalid_request', `The request body is not valid: ${problems.join('; ')}.`);
}

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const NUMERIC_ID = /^[1-9][0-9]{0,19}$/;

/** Path ids that cannot exist are simply not found (404), as unknown ones are. */
export function accountIdParam(value: string | undefined): string {
  if (!value || !ACCOUNT_ID.test(value)) throw new NotFoundError('account_not_found', 'No such account.');
  return value;
}

export function numericParam(value: string | undefined, code: string, message: string): number {
  if (!value || !NUMERIC_ID.test(value)) throw new NotFoundError(code, message);
  return Number(value);
}
