import { createHttpHandler } from '../shared/http/http-handler.js';
import { handleCallback } from './callback.js';
import { startSignIn } from './sign-in.js';

export const handler = createHttpHandler({
  'GET /auth/login': { handle: startSignIn },
  'GET /auth/callback': { handle: handleCallback },
});
