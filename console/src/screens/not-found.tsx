import { paths } from '../router';

/** A console URL that names no screen (a mistyped or outdated link). */
export function NotFound() {
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>
        This address is not a page of the console. <a href={paths.home()}>Go to your accounts</a>.
      </p>
    </section>
  );
}
