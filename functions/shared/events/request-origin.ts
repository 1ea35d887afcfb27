import type { HttpRequest } from '../http/request.js';
import type { GitHubUser } from '../store/account-store.js';
import { userActor, type EventOrigin } from './domain-event.js';

/**
 * Where an API request's changes come from: the caller as a platform user (their GitHub id and current
 * login) and the request's id, which API Gateway sends back as `x-request-id` (so a client can find
 * the events its request caused).
 */
export function requestOrigin(request: Pick<HttpRequest, 'requestId'>, user: GitHubUser): EventOrigin {
  return { actor: userActor(user.id, user.login), correlationId: request.requestId };
}
