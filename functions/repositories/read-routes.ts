import type { RouteHandler } from '../shared/http/http-handler.js';
import { NotImplementedError } from '../shared/errors.js';

// Placeholders until reading is built (issue #13).
export const treeRoute: RouteHandler = () => Promise.reject(new NotImplementedError());
export const contentsRoute: RouteHandler = () => Promise.reject(new NotImplementedError());
