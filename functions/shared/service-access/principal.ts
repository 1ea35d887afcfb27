/**
 * IAM principals of service access policies (docs/token-vending.md "Principals"). A policy names IAM
 * roles of the platform's AWS account: `arn:aws:iam::<account>:role/<name>`, or a prefix of one ending in
 * `*` (`arn:aws:iam::<account>:role/build-*`). A caller is identified by API Gateway's IAM authorizer, which
 * hands the function the *assumed-role* ARN (`arn:aws:sts::<account>:assumed-role/<name>/<session>`):
 * STS drops the role's path there, so roles are compared by account and name, and a path in a policy
 * is refused rather than silently never matched.
 */

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/([\w+=,.@-]{1,64})$/;
const ROLE_ARN_PREFIX = /^arn:aws:iam::(\d{12}):role\/([\w+=,.@-]{0,63})\*$/;
const ASSUMED_ROLE_ARN = /^arn:aws:sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]{2,64}$/;

export type PrincipalPattern = { account: string; role: string; wildcard: boolean };

/** A policy's `principal`, or undefined when it is not a role ARN (or prefix) of `platformAccount`. */
export function parsePrincipal(value: string, platformAccount: string): PrincipalPattern | undefined {
  const exact = ROLE_ARN.exec(value);
  if (exact?.[1] === platformAccount && exact[2])
    return { account: exact[1], role: exact[2], wildcard: false };
  const prefix = ROLE_ARN_PREFIX.exec(value);
  if (prefix?.[1] === platformAccount && prefix[2] !== undefined)
    return { account: prefix[1], role: prefix[2], wildcard: true };
  return undefined;
}

/** The role a signed request comes from: `arn:aws:iam::<account>:role/<name>`, from the authorizer's ARN. */
export function callerRoleArn(userArn: string | undefined): string | undefined {
  const assumed = userArn === undefined ? null : ASSUMED_ROLE_ARN.exec(userArn);
  if (assumed) return `arn:aws:iam::${assumed[1]}:role/${assumed[2]}`;
  // A role ARN as such (the local server's credentials name one): taken as is.
  if (userArn !== undefined && ROLE_ARN.test(userArn)) return userArn;
  return undefined;
}

/** Whether the policy's principal names the caller's role (`callerRoleArn`'s form). */
export function principalMatches(principal: string, roleArn: string, platformAccount: string): boolean {
  const pattern = parsePrincipal(principal, platformAccount);
  const caller = ROLE_ARN.exec(roleArn);
  if (!pattern || !caller || caller[1] !== pattern.account) return false;
  const role = caller[2] ?? '';
  return pattern.wildcard ? role.startsWith(pattern.role) : role === pattern.role;
}
