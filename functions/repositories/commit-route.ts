import type { RouteHandler } from '../shared/http/http-handler.js';
import { NotImplementedError } from '../shared/errors.js';

// Placeholder until committing is built (issue #13).
export const commitRoute: RouteHandler = () => Promise.reject(new NotImplementedError());
