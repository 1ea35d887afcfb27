import { NotImplementedError } from '../errors.js';
import type { Route } from './http-handler.js';

/** A route of the contract whose issue has not landed yet: an honest 501, never a fake success. */
export const notImplemented: Route = {
  handle: () => Promise.reject(new NotImplementedError()),
};
