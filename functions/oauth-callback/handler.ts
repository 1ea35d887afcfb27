import { createHttpHandler } from '../shared/http/http-handler.js';
import { redirect } from '../shared/http/responses.js';
import { completeSignIn, startSignIn } from './sign-in.js';

export const handler = createHttpHandler({
  'GET /auth/login': { handle: startSignIn },
  'GET /auth/callback': {
    handle: async (request) => {
      const outcome = await completeSignIn(request);
      if ('statusCode' in outcome) return outcome;
      return redirect(outcome.state.returnTo, [outcome.cookie]);
    },
  },
});
