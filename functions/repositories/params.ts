import { repositoryNotFound } from './repository-access.js';

/** `{owner}` as GitHub spells account names; anything else cannot be reached (404, as unknown ones). */
export function ownerParam(value: string | undefined): string {
  if (!value || !/^[A-Za-z0-9-]{1,39}$/.test(value)) throw repositoryNotFound();
  return value;
}

/** `{repo}` as GitHub spells repository names; anything else cannot be reached (404, as unknown ones). */
export function repoParam(value: string | undefined): string {
  if (!value || !/^[A-Za-z0-9._-]{1,100}$/.test(value)) throw repositoryNotFound();
  return value;
}
