import type { RouteHandler } from '../shared/http/http-handler.js';
import { NotImplementedError } from '../shared/errors.js';

// Placeholder until the list is built (issue #13).
export const listRoute: RouteHandler = () => Promise.reject(new NotImplementedError());
