import { numericParam } from '../shared/http/validate.js';

/** `{installationId}`: an id that cannot exist is not found, as an unknown one. */
export const installationIdParam = (value: string | undefined): number =>
  numericParam(value, 'installation_not_found', 'No such installation.');
