/**
 * A value built on first use, then kept: for schemas and tables a cold start may never need (zod builds
 * every schema eagerly, and building them all at import costs the cold path CPU; docs/performance.md).
 */
export function once<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => (value ??= { built: build() }).built;
}
