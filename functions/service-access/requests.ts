import * as z from 'zod/mini';
import { NotFoundError } from '../shared/errors.js';
import { parseBody } from '../shared/http/validate.js';
import { REPOSITORY_LIMITS } from '../shared/service-access/repositories.js';

/** A policy's lifetime cap in minutes: GitHub's installation tokens live an hour at most. */
export const LIFETIME_MINUTES = { min: 5, max: 60 } as const;

const principal = z.string().check(z.minLength(1), z.maxLength(2048));
// The structure only: names and levels are checked with messages naming them (service-access/).
const repositories = z
  .array(z.string().check(z.maxLength(200)))
  .check(z.minLength(1), z.maxLength(REPOSITORY_LIMITS.perPolicy));
const permissions = z.record(z.string().check(z.maxLength(100)), z.string().check(z.maxLength(20)));
const maxLifetimeMinutes = z.nullable(
  z.int().check(z.gte(LIFETIME_MINUTES.min), z.lte(LIFETIME_MINUTES.max)),
);

const newPolicy = z.strictObject({
  principal,
  repositories,
  permissions,
  maxLifetimeMinutes: z.optional(maxLifetimeMinutes),
});

const policyChange = z.strictObject({
  principal: z.optional(principal),
  repositories: z.optional(repositories),
  permissions: z.optional(permissions),
  maxLifetimeMinutes: z.optional(maxLifetimeMinutes),
});

export type PolicyInput = {
  principal: string;
  repositories: string[];
  permissions: Record<string, string>;
  maxLifetimeMinutes?: number | null | undefined;
};
export type PolicyChangeInput = Partial<PolicyInput>;

/** POST's body: a whole policy (`maxLifetimeMinutes` may be left out). */
export const newPolicyBody = (body: unknown): PolicyInput => parseBody(newPolicy, body);

/** PATCH's body: any subset of the fields. */
export const policyChangeBody = (body: unknown): PolicyChangeInput => parseBody(policyChange, body);

/** Policy ids are 20 hex digits (policies.ts): anything else cannot exist (404, as an unknown one). */
const POLICY_ID = /^[0-9a-f]{20}$/;

export const policyNotFound = () =>
  new NotFoundError('service_access_not_found', 'The account has no such service access policy.');

export function policyIdParam(value: string | undefined): string {
  if (!value || !POLICY_ID.test(value)) throw policyNotFound();
  return value;
}
