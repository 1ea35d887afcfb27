import { createHttpHandler } from '../shared/http/http-handler.js';
import { me } from './routes/me.js';
import { signOut } from './routes/sign-out.js';

export const handler = createHttpHandler({
  'GET /me': me,
  'POST /auth/logout': signOut,
});
