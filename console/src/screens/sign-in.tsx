import { loginUrl } from '../api/client';
import { paths } from '../router';

/** Signed out: one way in. `returnTo` is absolute, on this origin, so the API sends the browser back. */
export function SignIn() {
  const here = new URL(window.location.href);
  const back = here.pathname.startsWith(paths.signIn()) ? new URL(paths.home(), here).href : here.href;
  return (
    <section>
      <p>Sign in to manage your platform accounts, their GitHub App installations and repositories.</p>
      <a class="button primary" href={loginUrl(back)}>
        Sign in with GitHub
      </a>
    </section>
  );
}
