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

/**
 * A console URL whose segments are not plain names: `.`/`..`, empty, an encoded slash (`%2F`) or
 * malformed percent-encoding. Refused before any request: such a link may be crafted to make the
 * console call other API routes.
 */
export function InvalidPath() {
  return (
    <section aria-labelledby="invalid-path-title">
      <h2 id="invalid-path-title">Invalid address</h2>
      <p>
        This address holds a path segment the console does not accept (<code>.</code>, <code>..</code>, an
        empty segment or an encoded slash), so nothing was loaded.{' '}
        <a href={paths.home()}>Go to your accounts</a>.
      </p>
    </section>
  );
}
